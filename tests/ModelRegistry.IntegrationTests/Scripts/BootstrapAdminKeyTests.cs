using System.Runtime.Versioning;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Scripts;

/// <summary><c>scripts/bootstrap-admin-key.sh</c>: the admin key <c>make run</c> starts the server with.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class BootstrapAdminKeyTests : IDisposable
{
    private const string Script = "scripts/bootstrap-admin-key.sh";
    private const string Variable = "Registry__Auth__BootstrapAdminKey";
    private static readonly Dictionary<string, string?> Unset = new() { [Variable] = null };

    private readonly ScratchCheckout _checkout = new();

    public BootstrapAdminKeyTests() => _checkout.CopyFromRepository(Script);

    private string KeyFile => Path.Combine(_checkout.Root, ".data", "bootstrap-admin-key");

    [Fact]
    public async Task The_key_is_generated_once_and_the_same_key_is_used_on_the_next_run()
    {
        var first = await _checkout.BashAsync(Script, Unset);
        var second = await _checkout.BashAsync(Script, Unset);

        Assert.True((first.ExitCode, second.ExitCode) == (0, 0), $"{first}\n{second}");
        var key = first.Out.Trim();
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, second.Out.Trim());
        Assert.Equal(key, (await File.ReadAllTextAsync(KeyFile)).Trim());
    }

    [Fact]
    public async Task The_kept_key_is_readable_by_its_owner_only()
    {
        await _checkout.BashAsync(Script, Unset);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
    }

    [Fact]
    public async Task Each_run_says_which_key_it_uses_and_where_it_is_kept()
    {
        await _checkout.BashAsync(Script, Unset);

        var again = await _checkout.BashAsync(Script, Unset);

        Assert.Contains($"Bootstrap admin key: {again.Out.Trim()} (kept in .data/bootstrap-admin-key)", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_set_in_the_environment_wins_and_nothing_is_kept()
    {
        var result = await _checkout.BashAsync(Script, new Dictionary<string, string?> { [Variable] = "my-own-key" });

        Assert.Equal((0, "my-own-key"), (result.ExitCode, result.Out.Trim()));
        Assert.DoesNotContain("my-own-key", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(KeyFile));
    }

    public void Dispose() => _checkout.Dispose();
}
