using JasperFx.CodeGeneration.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelRegistry.IntegrationTests.Infrastructure;
using Wolverine;
using Wolverine.Configuration;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// Wolverine 6's default <c>ServiceLocationPolicy.NotAllowed</c>: a handler dependency that generated code cannot
/// build itself (a scoped service registered by a lambda, or one whose implementation is internal) fails the handler;
/// a singleton is handed to the generated handler whatever its registration.
/// </summary>
public sealed class ServiceLocationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public void Service_location_is_not_allowed_by_default()
    {
        Assert.Equal(ServiceLocationPolicy.NotAllowed, new WolverineOptions().ServiceLocationPolicy);
    }

    [Fact]
    public async Task A_handler_needing_a_scoped_service_registered_by_a_lambda_fails_with_InvalidServiceLocationException()
    {
        using var host = await StartAsync(s => s.AddScoped<IGreeter>(_ => new Greeter()));

        var thrown = await Assert.ThrowsAsync<InvalidServiceLocationException>(() =>
            host.MessageBus().InvokeAsync<string>(new Greet("scoped lambda")));

        Assert.Contains(nameof(IGreeter), thrown.Message);
    }

    [Fact]
    public async Task A_handler_needing_a_scoped_service_with_an_internal_implementation_fails_with_InvalidServiceLocationException()
    {
        using var host = await StartAsync(s => s.AddScoped<IGreeter, InternalGreeter>());

        var thrown = await Assert.ThrowsAsync<InvalidServiceLocationException>(() =>
            host.MessageBus().InvokeAsync<string>(new Greet("internal")));

        Assert.Contains(nameof(IGreeter), thrown.Message);
    }

    [Fact]
    public async Task A_handler_needing_a_singleton_registered_by_a_lambda_runs()
    {
        using var host = await StartAsync(s => s.AddSingleton<IGreeter>(_ => new InternalGreeter()));

        Assert.Equal("hello, singleton", await host.MessageBus().InvokeAsync<string>(new Greet("singleton")));
    }

    [Fact]
    public async Task A_handler_needing_a_public_scoped_type_registered_by_type_runs()
    {
        using var host = await StartAsync(s => s.AddScoped<IGreeter, Greeter>());

        Assert.Equal("hello, scoped", await host.MessageBus().InvokeAsync<string>(new Greet("scoped")));
    }

    private Task<IHost> StartAsync(Action<IServiceCollection> services) =>
        WolverineTestHost.StartAsync(db, o => o.Discovery.IncludeType(typeof(GreetHandler)), services);
}

public sealed record Greet(string Name);

public interface IGreeter
{
    string Greet(string name);
}

public sealed class Greeter : IGreeter
{
    public string Greet(string name) => $"hello, {name}";
}

internal sealed class InternalGreeter : IGreeter
{
    public string Greet(string name) => $"hello, {name}";
}

public static class GreetHandler
{
    public static string Handle(Greet message, IGreeter greeter) => greeter.Greet(message.Name);
}
