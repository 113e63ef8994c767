using System.Net;
using ModelRegistry.Downloads;
using ModelRegistry.Downloads.Sources;

namespace ModelRegistry.Tests.Downloads.Sources;

public sealed class EgressPolicyTests
{
    [Theory]
    [InlineData("https://huggingface.co/org/repo/resolve/main/model.gguf")]
    [InlineData("https://cdn-lfs.hf.co/repos/ab/cd/file")]
    [InlineData("https://cas-bridge.xethub.huggingface.co/x")]
    public void By_default_the_hub_and_its_file_hosts_are_allowed(string url) =>
        EgressPolicy.From(new DownloadsOptions(), new HuggingFaceOptions()).CheckUrl(new Uri(url));

    [Theory]
    [InlineData("https://example.com/model.gguf", "host-not-allowed")]
    [InlineData("https://hf.co.evil.example/x", "host-not-allowed")]
    [InlineData("https://evilhf.co/x", "host-not-allowed")]
    [InlineData("https://hf.co/x", "host-not-allowed")]
    [InlineData("https://user:pw@huggingface.co/x", "credentials-in-url")]
    [InlineData("ftp://huggingface.co/x", "scheme-not-allowed")]
    public void Anything_else_is_refused_by_default(string url, string code) =>
        Assert.Equal(code, Assert.Throws<DownloadRefusedException>(() =>
            EgressPolicy.From(new DownloadsOptions(), new HuggingFaceOptions()).CheckUrl(new Uri(url))).Code);

    [Fact]
    public void Configured_hosts_replace_the_default()
    {
        var policy = EgressPolicy.From(new DownloadsOptions { AllowedHosts = " models.example , 10.0.0.5:8080" }, new HuggingFaceOptions());

        policy.CheckUrl(new Uri("https://MODELS.example/a.gguf"));
        policy.CheckUrl(new Uri("http://10.0.0.5:8080/a.gguf"));
        Assert.Throws<DownloadRefusedException>(() => policy.CheckUrl(new Uri("https://huggingface.co/x")));
    }

    [Theory]
    [InlineData("http://127.0.0.1/a.gguf")]
    [InlineData("https://127.0.0.1/a.gguf")]
    [InlineData("http://127.0.0.1:443/a.gguf")]
    [InlineData("http://hub.example:8080/org/repo/resolve/main/a.gguf")]
    [InlineData("http://127.0.0.1:9000/a.gguf")]
    [InlineData("http://[::1]:9001/a.gguf")]
    [InlineData("https://cdn.models.example:8443/a.gguf")]
    public void A_listed_host_without_a_port_is_reachable_on_80_443_and_the_hub_port_and_one_with_a_port_on_that_port(string url) =>
        Policy().CheckUrl(new Uri(url));

    [Theory]
    [InlineData("http://127.0.0.1:5432/a.gguf")]
    [InlineData("http://127.0.0.1:8080/a.gguf")]
    [InlineData("http://127.0.0.1:9001/a.gguf")]
    [InlineData("http://[::1]/a.gguf")]
    [InlineData("http://[::1]:9000/a.gguf")]
    [InlineData("https://cdn.models.example/a.gguf")]
    [InlineData("http://hub.example:8081/a.gguf")]
    public void Any_other_port_of_a_listed_host_is_refused(string url) =>
        Assert.Equal("port-not-allowed", Assert.Throws<DownloadRefusedException>(() => Policy().CheckUrl(new Uri(url))).Code);

    [Fact]
    public async Task The_port_is_checked_again_on_the_connection_itself()
    {
        var policy = Policy();

        Assert.Equal([IPAddress.Loopback], await policy.ResolveAsync("127.0.0.1", 9000, default));
        Assert.Equal("port-not-allowed", (await Assert.ThrowsAsync<DownloadRefusedException>(() => policy.ResolveAsync("127.0.0.1", 5432, default))).Code);
    }

    [Theory]
    [InlineData("models.example:")]
    [InlineData("models.example:http")]
    [InlineData("models.example:0")]
    [InlineData("models.example:65536")]
    [InlineData("[::1")]
    [InlineData("[::1]9000")]
    [InlineData("[models.example]:80")]
    public void An_entry_that_is_not_a_host_with_an_optional_port_is_a_configuration_error(string entry) =>
        Assert.Throws<InvalidOperationException>(() => new EgressPolicy([entry]));

    [Fact]
    public async Task A_private_address_is_reachable_only_when_it_is_listed_itself()
    {
        var resolver = (string _, CancellationToken _) => Task.FromResult(new[] { IPAddress.Parse("10.0.0.5") });
        var byName = new EgressPolicy(["mirror.lan"]) { Resolver = resolver };
        var byNameAndAddress = new EgressPolicy(["mirror.lan", "10.0.0.5"]) { Resolver = resolver };

        Assert.Equal("address-not-allowed", (await Assert.ThrowsAsync<DownloadRefusedException>(() => byName.ResolveAsync("mirror.lan", 443, default))).Code);
        Assert.Equal([IPAddress.Parse("10.0.0.5")], await byNameAndAddress.ResolveAsync("mirror.lan", 443, default));
    }

    [Fact]
    public async Task One_forbidden_address_among_the_answers_refuses_the_host()
    {
        var policy = new EgressPolicy(["models.example"])
        {
            Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Parse("93.184.215.14"), IPAddress.Parse("169.254.169.254") }),
        };

        Assert.Equal("address-not-allowed", (await Assert.ThrowsAsync<DownloadRefusedException>(() => policy.ResolveAsync("models.example", 443, default))).Code);
    }

    private static EgressPolicy Policy() => EgressPolicy.From(
        new DownloadsOptions { AllowedHosts = "127.0.0.1, 127.0.0.1:9000, [::1]:9001, hub.example, *.models.example:8443" },
        new HuggingFaceOptions { Endpoint = "http://hub.example:8080/" });
}
