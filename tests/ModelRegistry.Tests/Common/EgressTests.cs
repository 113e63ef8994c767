using System.Net;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Common;

public sealed class EgressTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.0.0.2", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("2002:7f00:1::", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("100.64.0.1", "private")]
    [InlineData("fd00:ec2::254", "private")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("::127.0.0.1", "reserved")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("172.32.0.1", "public")]
    [InlineData("8.8.8.8", "public")]
    [InlineData("2606:4700:4700::1111", "public")]
    public void Addresses_are_classified_by_where_they_lead(string address, string kind) =>
        Assert.Equal(kind, Egress.Classify(IPAddress.Parse(address)));

    [Theory]
    [InlineData("::ffff:169.254.169.254", "169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe", "169.254.169.254")]
    [InlineData("2002:a9fe:a9fe::1", "169.254.169.254")]
    [InlineData("fe80::1", "fe80::1")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    public void An_address_leads_to_the_IPv4_address_it_embeds(string address, string target) =>
        Assert.Equal(IPAddress.Parse(target), Egress.LeadsTo(IPAddress.Parse(address)));
}
