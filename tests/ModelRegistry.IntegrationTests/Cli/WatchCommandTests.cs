using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.Tests.Cli;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Cli;

public sealed class WatchCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Watch_prints_the_production_version_then_a_line_when_it_changes()
    {
        var name = $"{NewName("org")}/{NewName("watched")}";
        await App.RegisterLocalVersion(name);
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);
        using var stop = new CancellationTokenSource();

        var watch = new CliRunner(App.CreateHandler()).Start(stop.Token, "watch", name);
        await Eventually.HoldsAsync(() => Task.FromResult(watch.Out.Contains($"{name} production is v1", StringComparison.Ordinal)), () => watch.Error);
        await App.Promote(name, 2);
        await Eventually.HoldsAsync(() => Task.FromResult(watch.Out.Contains($"{name} production is v2 (by admin)", StringComparison.Ordinal)),
            () => watch.Out + watch.Error);
        await stop.CancelAsync();

        Assert.Equal(0, await watch.Exit);
        Assert.Equal(2, watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
