using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Endpoints.Secrets.EndpointSecretsTests;

namespace ModelRegistry.IntegrationTests.Admin;

public sealed partial class KeyRingCommandTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Rotate_adds_a_key_that_becomes_the_default_in_two_days_and_the_keys_before_it_still_decrypt()
    {
        var endpoint = NewEndpointId();
        var apiKey = NewApiKey();
        await SetAsync(App, endpoint, apiKey);
        var before = await RunAsync("key-ring", "list");

        var rotated = await RunAsync("key-ring", "rotate");
        var after = await RunAsync("key-ring", "list");

        var added = Rotated().Match(rotated);
        Assert.True(added.Success, rotated);
        var activation = DateTimeOffset.Parse(added.Groups["activation"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(activation - DateTimeOffset.UtcNow, TimeSpan.FromDays(2) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(2));
        Assert.DoesNotContain(added.Groups["id"].Value, before, StringComparison.Ordinal);
        Assert.Contains(added.Groups["id"].Value, after, StringComparison.Ordinal);
        Assert.Equal(Lines(before) + 1, Lines(after));
        Assert.Contains(App.Services.GetRequiredService<IKeyManager>().GetAllKeys(), k => k.KeyId.ToString() == added.Groups["id"].Value);
        Assert.Equal(apiKey, await RevealAsync(App, endpoint));
    }

    [Fact]
    public async Task Another_action_is_refused_with_the_usage()
    {
        var wrong = await AppCommand.RunAsync(App.ConnectionString, App.StorageRoot, "key-ring", "revoke");

        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("usage: key-ring list | key-ring rotate", wrong.Error, StringComparison.Ordinal);
    }

    private static int Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    private async Task<string> RunAsync(params string[] args)
    {
        var result = await AppCommand.RunAsync(App.ConnectionString, App.StorageRoot, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Out;
    }

    [GeneratedRegex(@"(?m)^(?<id>[0-9a-f-]{36}): the default key from (?<activation>\S+), expires \S+; the keys before it stay to decrypt\.$")]
    private static partial Regex Rotated();
}
