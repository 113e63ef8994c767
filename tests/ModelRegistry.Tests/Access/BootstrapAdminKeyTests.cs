using Microsoft.Extensions.Options;
using ModelRegistry.Access;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Access;

public sealed class BootstrapAdminKeyTests
{
    private static BootstrapAdminKey Key(string? configured) =>
        new(Options.Create(new RegistryOptions { Auth = { BootstrapAdminKey = configured } }));

    [Fact]
    public void The_configured_key_matches_itself_and_nothing_else()
    {
        var key = Key("s3cret-admin-key");

        Assert.False(key.Generated);
        Assert.True(key.Matches("s3cret-admin-key"));
        Assert.False(key.Matches("s3cret-admin-kez"));
        Assert.False(key.Matches("s3cret-admin-key "));
        Assert.False(key.Matches(""));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Without_a_configured_key_a_strong_one_is_generated_per_run(string? configured)
    {
        var first = Key(configured);
        var second = Key(configured);

        Assert.True(first.Generated);
        Assert.True(first.Value.Length >= 40);
        Assert.NotEqual(first.Value, second.Value);
        Assert.True(first.Matches(first.Value));
        Assert.False(first.Matches(second.Value));
    }
}
