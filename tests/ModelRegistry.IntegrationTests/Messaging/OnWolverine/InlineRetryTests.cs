using System.Collections.Concurrent;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.IntegrationTests.Infrastructure;
using Wolverine;
using Wolverine.Configuration;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace ModelRegistry.IntegrationTests.Messaging.OnWolverine;

/// <summary>
/// <c>IMessageBus.InvokeAsync</c> runs a handler inline; a cooldown retry rule on <see cref="ConcurrencyException"/>
/// re-runs it in the caller's call, and once the rule's slots are spent the handler's own exception reaches the caller.
/// </summary>
public sealed class InlineRetryTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private readonly Attempts _attempts = new();

    [Fact]
    public async Task InvokeAsync_retries_a_ConcurrencyException_inline_and_returns_the_result_of_the_attempt_that_succeeded()
    {
        using var host = await StartAsync(o => o.Policies.OnException<ConcurrencyException>()
            .RetryWithCooldown(10.Milliseconds(), 20.Milliseconds(), 40.Milliseconds()).WithFullJitter());

        var outcome = await host.MessageBus().InvokeAsync<FlakyOutcome>(new FlakyCommand("twice", FailFirst: 2));

        Assert.Equal(new FlakyOutcome(HandlerRuns: 3, EnvelopeAttempts: 3), outcome);
    }

    [Fact]
    public async Task Once_the_cooldowns_are_spent_the_handlers_ConcurrencyException_itself_escapes_InvokeAsync()
    {
        using var host = await StartAsync(o => o.Policies.OnException<ConcurrencyException>()
            .RetryWithCooldown(10.Milliseconds(), 20.Milliseconds(), 40.Milliseconds()));

        var thrown = await Assert.ThrowsAsync<ConcurrencyException>(() =>
            host.MessageBus().InvokeAsync<FlakyOutcome>(new FlakyCommand("always", FailFirst: int.MaxValue)));

        Assert.Equal(typeof(ConcurrencyException), thrown.GetType());
        Assert.Contains("attempt 4", thrown.Message);
        Assert.Equal(4, _attempts.Of("always"));
    }

    [Fact]
    public async Task A_rule_an_IHandlerPolicy_puts_on_chosen_chains_retries_those_chains_and_no_other()
    {
        using var host = await StartAsync(o => o.Policies.Add(new RetryFlakyCommandsOnly()));

        var retried = await host.MessageBus().InvokeAsync<FlakyOutcome>(new FlakyCommand("policy", FailFirst: 1));
        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            host.MessageBus().InvokeAsync<FlakyOutcome>(new OtherFlakyCommand("unruled", FailFirst: 1)));

        Assert.Equal(2, retried.HandlerRuns);
        Assert.Equal(1, _attempts.Of("unruled"));
    }

    private Task<Microsoft.Extensions.Hosting.IHost> StartAsync(Action<WolverineOptions> policies) =>
        WolverineTestHost.StartAsync(db, o =>
        {
            o.Discovery.IncludeType(typeof(FlakyCommandHandler));
            policies(o);
        }, s => s.AddSingleton(_attempts));
}

public sealed record FlakyCommand(string Key, int FailFirst);

public sealed record OtherFlakyCommand(string Key, int FailFirst);

public sealed record FlakyOutcome(int HandlerRuns, int EnvelopeAttempts);

/// <summary>Counts the runs of each key's handler, across inline retries.</summary>
public sealed class Attempts
{
    private readonly ConcurrentDictionary<string, int> _runs = new();

    public int Next(string key) => _runs.AddOrUpdate(key, 1, (_, n) => n + 1);

    public int Of(string key) => _runs.GetValueOrDefault(key);
}

public static class FlakyCommandHandler
{
    public static FlakyOutcome Handle(FlakyCommand command, Attempts attempts, Envelope envelope) =>
        Run(command.Key, command.FailFirst, attempts, envelope);

    public static FlakyOutcome Handle(OtherFlakyCommand command, Attempts attempts, Envelope envelope) =>
        Run(command.Key, command.FailFirst, attempts, envelope);

    private static FlakyOutcome Run(string key, int failFirst, Attempts attempts, Envelope envelope)
    {
        var run = attempts.Next(key);
        if (run <= failFirst)
        {
            throw new ConcurrencyException($"{key}: conflict on attempt {run}", null);
        }

        return new FlakyOutcome(run, envelope.Attempts);
    }
}

/// <summary>The shape the catalog's command policy will take: a rule added to the chains it picks.</summary>
public sealed class RetryFlakyCommandsOnly : IHandlerPolicy
{
    public void Apply(IReadOnlyList<HandlerChain> chains, GenerationRules rules, IServiceContainer container)
    {
        foreach (var chain in chains.Where(c => c.MessageType == typeof(FlakyCommand)))
        {
            chain.OnException<ConcurrencyException>().RetryWithCooldown(10.Milliseconds(), 20.Milliseconds());
        }
    }
}
