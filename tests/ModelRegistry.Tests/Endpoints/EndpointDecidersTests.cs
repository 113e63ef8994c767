using System.Collections.Immutable;
using JasperFx.Events;
using ModelRegistry.Endpoints;
using ModelRegistry.Endpoints.Checking;
using ModelRegistry.Endpoints.Registering;
using ModelRegistry.Endpoints.Updating;

namespace ModelRegistry.Tests.Endpoints;

public sealed class EndpointDecidersTests
{
    private static readonly Caller Alice = new("alice", Admin: false);
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static EndpointState Registered(bool active = true, bool apiKey = false) =>
        Fold(new EndpointRegistered("e1", "Local", "http://127.0.0.1:11434", EndpointType.Ollama, null, "alice", active, apiKey));

    private static EndpointState Fold(params object[] events)
    {
        EndpointState? state = EndpointState.Initial("endpoint:e1");
        var version = 0L;
        foreach (var data in events)
        {
            state = EndpointStream.Evolve(state!, new Event<object>(data) { Version = ++version, Timestamp = Now });
        }

        return state!;
    }

    [Fact]
    public void Registering_records_the_owner_and_whether_a_key_was_given_never_the_key()
    {
        var command = new RegisterEndpoint("e1", "Local", "http://127.0.0.1:11434", EndpointType.Ollama, null, new ApiKeyValue("sk-secret"), true, Alice);

        var registered = Assert.IsType<EndpointRegistered>(Assert.Single(RegisterEndpoint.Decide(EndpointState.Initial("endpoint:e1"), command)));

        Assert.Equal(("alice", true), (registered.Owner, registered.ApiKeySet));
        Assert.DoesNotContain("sk-secret", registered.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret", command.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Registering_an_existing_endpoint_again_is_a_conflict() =>
        Assert.Equal(409, Assert.Throws<ModelRegistry.Common.DomainException>(() => RegisterEndpoint.Decide(Registered(),
            new RegisterEndpoint("e1", "Local", "http://127.0.0.1:1", EndpointType.Ollama, null, null, true, Alice))).Status);

    [Fact]
    public void An_update_records_only_what_changes()
    {
        var events = UpdateEndpoint.Decide(Registered(), new UpdateEndpoint("e1", "Local", "http://127.0.0.1:9999", null, null, null, false, true, Alice));

        var updated = Assert.IsType<EndpointUpdated>(Assert.Single(events));
        Assert.Equal(new EndpointUpdated(null, "http://127.0.0.1:9999", null, null, null), updated);
        Assert.True(UpdateEndpoint.ChangesWhatIsChecked(events));
    }

    [Fact]
    public void Clearing_a_key_is_recorded_once_and_setting_one_every_time_it_is_given()
    {
        Assert.Equal(ApiKeyChange.Cleared, Assert.IsType<EndpointUpdated>(Assert.Single(UpdateEndpoint.Decide(Registered(apiKey: true),
            new UpdateEndpoint("e1", null, null, null, null, null, true, null, Alice)))).ApiKey);
        Assert.Empty(UpdateEndpoint.Decide(Registered(apiKey: false), new UpdateEndpoint("e1", null, null, null, null, null, true, null, Alice)));
        Assert.Equal(ApiKeyChange.Set, Assert.IsType<EndpointUpdated>(Assert.Single(UpdateEndpoint.Decide(Registered(apiKey: true),
            new UpdateEndpoint("e1", null, null, null, null, new ApiKeyValue("new"), false, null, Alice)))).ApiKey);
    }

    [Fact]
    public void Deactivating_and_activating_are_events_and_a_repeat_is_none()
    {
        Assert.IsType<EndpointDeactivated>(Assert.Single(SetEndpointActive.Decide(Registered(), new SetEndpointActive("e1", false, Alice))));
        Assert.Empty(SetEndpointActive.Decide(Registered(), new SetEndpointActive("e1", true, Alice)));
        Assert.False(Fold(new EndpointRegistered("e1", "n", "http://x", EndpointType.Ollama, null, "alice", true, false), new EndpointDeactivated()).Active);
    }

    [Fact]
    public void A_check_records_health_only_when_it_changes_and_models_only_when_they_differ()
    {
        var models = ImmutableList.Create(new DiscoveredModel("tiny:latest", 10, new string('a', 64)));
        var first = CheckResults.Decide(Registered(), new ProbeResult(HealthStatus.Healthy, 12, null, models), Now);
        Assert.Equal([typeof(EndpointHealthChecked), typeof(EndpointModelsDiscovered)], first.Select(e => e.GetType()));

        var known = Fold([new EndpointRegistered("e1", "Local", "http://x", EndpointType.Ollama, null, "alice", true, false), .. first]);
        Assert.Empty(CheckResults.Decide(known, new ProbeResult(HealthStatus.Healthy, 30, null, models), Now));
        Assert.IsType<EndpointHealthChecked>(Assert.Single(CheckResults.Decide(known, new ProbeResult(HealthStatus.Unhealthy, 5, "connection refused", null), Now)));
    }

    [Fact]
    public void A_removed_endpoint_folds_to_nothing_and_no_one_sees_it()
    {
        var removed = EndpointStream.Evolve(Registered(), new Event<object>(new EndpointRemoved()) { Version = 2, Timestamp = Now });

        Assert.Null(removed);
        Assert.False(new Caller("root", Admin: true).Sees(removed));
        Assert.True(Alice.Sees(Registered()));
        Assert.False(new Caller("bob", Admin: false).Sees(Registered()));
    }
}
