using ModelRegistry.Cli;

namespace ModelRegistry.Tests.Cli;

public sealed class ClientBoundaryTests
{
    [Fact]
    public void The_client_uses_neither_the_server_nor_the_event_store_nor_their_frameworks()
    {
        var references = typeof(RegistryCommandLine).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("System.CommandLine", references);
        Assert.DoesNotContain(references, name => name is "ModelRegistry" or "ModelRegistry.EventStore"
            || name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || name.StartsWith("Npgsql", StringComparison.Ordinal));
    }
}
