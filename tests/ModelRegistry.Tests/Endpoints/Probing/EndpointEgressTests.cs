using System.Net;
using ModelRegistry.Endpoints.Probing;

namespace ModelRegistry.Tests.Endpoints.Probing;

public sealed class EndpointEgressTests
{
    private static readonly EndpointEgress ByDefault = new(null);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.20")]
    [InlineData("::ffff:192.168.1.20")]
    [InlineData("fd12:3456::1")]
    public void By_default_loopback_and_private_addresses_are_allowed(string address) =>
        Assert.True(ByDefault.IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("224.0.0.1")]
    public void By_default_public_and_odd_addresses_are_refused(string address) =>
        Assert.False(ByDefault.IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:a9fe:a9fe::")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("168.63.129.16")]
    [InlineData("100.100.100.200")]
    public void Link_local_and_metadata_addresses_are_refused_even_when_listed(string address)
    {
        var listingEverything = new EndpointEgress("0.0.0.0/0, ::/0, 169.254.0.0/16, fe80::/10, fd00:ec2::/32, ::ffff:0:0/96");

        Assert.True(EndpointEgress.IsAlwaysRefused(IPAddress.Parse(address)));
        Assert.False(listingEverything.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void Configured_hosts_replace_the_default()
    {
        var egress = new EndpointEgress(" gpu.example , *.lan, 203.0.113.0/24, 198.51.100.7, [2001:db8::1], 192.0.2.77/28 ");

        Assert.True(egress.IsAllowed(IPAddress.Parse("203.0.113.9")));
        Assert.True(egress.IsAllowed(IPAddress.Parse("192.0.2.65")));
        Assert.True(egress.IsAllowed(IPAddress.Parse("198.51.100.7")));
        Assert.True(egress.IsAllowed(IPAddress.Parse("2001:db8::1")));
        Assert.False(egress.IsAllowed(IPAddress.Parse("198.51.100.8")));
        Assert.False(egress.IsAllowed(IPAddress.Loopback));
        Assert.False(egress.IsListedName("localhost"));
    }

    [Theory]
    [InlineData("gpu.example", true)]
    [InlineData("GPU.Example.", true)]
    [InlineData("ollama.lan", true)]
    [InlineData("a.b.lan", true)]
    [InlineData("lan", false)]
    [InlineData("evillan", false)]
    [InlineData("gpu.example.evil", false)]
    [InlineData("x.gpu.example", false)]
    public void Names_match_exactly_and_wildcards_match_subdomains_only(string host, bool listed) =>
        Assert.Equal(listed, new EndpointEgress("gpu.example, *.lan").IsListedName(host));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0/8")]
    [InlineData("not a host")]
    [InlineData("*.")]
    [InlineData("http://gpu.example")]
    [InlineData("gpu.example:11434")]
    public void An_entry_that_is_not_a_name_wildcard_address_or_range_is_a_configuration_error(string entry) =>
        Assert.Throws<InvalidOperationException>(() => new EndpointEgress(entry));

    [Fact]
    public async Task A_listed_name_is_reached_at_its_addresses_but_never_at_a_forbidden_one()
    {
        var egress = new EndpointEgress("gpu.example")
        {
            Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Parse("203.0.113.9"), IPAddress.Parse("169.254.169.254") }),
        };

        Assert.Equal([IPAddress.Parse("203.0.113.9")], await egress.ResolveAsync("gpu.example", default));
    }

    [Fact]
    public async Task A_name_that_rebinds_to_a_forbidden_address_is_refused_at_connect_time()
    {
        var egress = new EndpointEgress("rebound.example, 10.0.0.0/8")
        {
            Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Parse("169.254.169.254") }),
        };

        Assert.Null(egress.CheckUrl("http://rebound.example:11434"));
        await Assert.ThrowsAsync<EndpointAddressRefusedException>(() => egress.ResolveAsync("rebound.example", default));
    }

    [Fact]
    public async Task An_unlisted_name_is_reached_only_at_addresses_inside_a_listed_range()
    {
        var egress = new EndpointEgress(null)
        {
            Resolver = (host, _) => Task.FromResult(host == "inside.example"
                ? new[] { IPAddress.Parse("8.8.8.8"), IPAddress.Parse("10.0.0.5") }
                : new[] { IPAddress.Parse("8.8.8.8") }),
        };

        Assert.Equal([IPAddress.Parse("10.0.0.5")], await egress.ResolveAsync("inside.example", default));
        await Assert.ThrowsAsync<EndpointAddressRefusedException>(() => egress.ResolveAsync("outside.example", default));
    }

    [Theory]
    [InlineData("http://localhost:11434")]
    [InlineData("http://127.0.0.1:11434/")]
    [InlineData("https://10.0.0.5/v1")]
    [InlineData("http://[::1]:8000")]
    [InlineData("http://ollama.internal:11434/proxy/")]
    [InlineData("http://gpu.example")]
    public void A_base_url_with_an_allowed_or_named_host_is_accepted(string url) =>
        Assert.Null(ByDefault.CheckUrl(url));

    [Theory]
    [InlineData(null, "must be an absolute http or https URL")]
    [InlineData("", "must be an absolute http or https URL")]
    [InlineData("localhost:11434", "must be an absolute http or https URL")]
    [InlineData("/v1/models", "must be an absolute http or https URL")]
    [InlineData("ftp://10.0.0.5/", "must be an absolute http or https URL")]
    [InlineData("file:///etc/passwd", "must be an absolute http or https URL")]
    [InlineData("http://user:secret@10.0.0.5/", "must not carry credentials; give the API key separately")]
    [InlineData("http://10.0.0.5/v1?key=secret", "must not have a query or a fragment")]
    [InlineData("http://10.0.0.5/#top", "must not have a query or a fragment")]
    [InlineData("http://10.0.0.5/?", "must not have a query or a fragment")]
    [InlineData("http://169.254.169.254/latest/meta-data", "is a link-local or metadata address, which endpoints may never be at")]
    [InlineData("http://[::ffff:169.254.169.254]/", "is a link-local or metadata address, which endpoints may never be at")]
    [InlineData("http://[fe80::1]:11434/", "is a link-local or metadata address, which endpoints may never be at")]
    [InlineData("http://[fd00:ec2::254]/", "is a link-local or metadata address, which endpoints may never be at")]
    [InlineData("http://0x7f000001:11434/", null)]
    [InlineData("http://8.8.8.8/", "is an address outside Registry:Endpoints:AllowedHosts")]
    [InlineData("http://0.0.0.0:11434/", "is a link-local or metadata address, which endpoints may never be at")]
    public void A_base_url_is_checked_before_it_is_stored(string? url, string? error) =>
        Assert.Equal(error, ByDefault.CheckUrl(url));
}
