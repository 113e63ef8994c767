using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Endpoints;
using ModelRegistry.Endpoints.Probing;

namespace ModelRegistry.Tests.Endpoints.Probing;

public sealed class EndpointProbingTests
{
    [Fact]
    public void The_probe_and_its_allow_list_come_from_Registry_Endpoints()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Endpoints:AllowedHosts"] = "203.0.113.0/24",
            ["Registry:Endpoints:Timeout"] = "00:00:02",
        }).Build();
        using var services = new ServiceCollection().AddEndpointProbing(configuration).BuildServiceProvider();

        Assert.Same(services.GetRequiredService<EndpointProbe>(), services.GetRequiredService<EndpointProbe>());
        Assert.Equal(TimeSpan.FromSeconds(2), services.GetRequiredService<EndpointsOptions>().Timeout);
        Assert.True(services.GetRequiredService<EndpointEgress>().IsAllowed(IPAddress.Parse("203.0.113.7")));
        Assert.False(services.GetRequiredService<EndpointEgress>().IsAllowed(IPAddress.Loopback));
    }
}
