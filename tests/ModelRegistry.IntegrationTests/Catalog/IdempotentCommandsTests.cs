using Alba;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog;

public sealed class IdempotentCommandsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task A_retried_command_with_the_same_key_answers_the_first_response_byte_for_byte_and_appends_nothing()
    {
        var name = NewName();
        var file = App.WriteFile($"{name}/model.onnx");
        var body = new { source = new { type = "local", uri = file } };
        var first = await App.Scenario(s =>
        {
            s.Post.SnakeJson(body).ToUrl($"{Models}/{name}/versions");
            s.WithRequestHeader("Idempotency-Key", "retry-1");
            s.StatusCodeShouldBe(201);
        });
        var eventsAfterFirst = await App.StreamAsync(name);

        var second = await App.Scenario(s =>
        {
            s.Post.SnakeJson(body).ToUrl($"{Models}/{name}/versions");
            s.WithRequestHeader("Idempotency-Key", "retry-1");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal(first.Bytes, second.Bytes);
        Assert.Equal(first.Location, second.Location);
        Assert.Equal(first.ETag, second.ETag);
        Assert.Equal("true", second.Header("Idempotent-Replayed"));
        Assert.Equal(eventsAfterFirst.Count, (await App.StreamAsync(name)).Count);
    }

    [Fact]
    public async Task The_key_is_the_causation_id_of_the_events()
    {
        var name = NewName();

        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name }).ToUrl(Models);
            s.WithRequestHeader("Idempotency-Key", "cause-7");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal("cause-7", Assert.Single(await App.StreamAsync(name)).CausationId);
    }

    [Fact]
    public async Task A_response_lost_between_commit_and_render_is_rendered_as_of_that_commit_and_kept()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        var first = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.WithRequestHeader("Idempotency-Key", "lost-1");
            s.StatusCodeShouldBe(200);
        });
        await App.Scenario(s => { s.Patch.SnakeJson(new { description = "later change" }).ToUrl($"{Models}/{name}"); s.StatusCodeShouldBe(200); });
        await using (var db = NpgsqlDataSource.Create(fixture.Database.ConnectionString))
        await using (var forget = db.CreateCommand("UPDATE mr_idempotency_keys SET body = NULL WHERE key = 'lost-1'"))
        {
            Assert.Equal(1, await forget.ExecuteNonQueryAsync());
        }

        var rendered = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.WithRequestHeader("Idempotency-Key", "lost-1");
            s.StatusCodeShouldBe(200);
        });
        var again = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.WithRequestHeader("Idempotency-Key", "lost-1");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal(first.Bytes, rendered.Bytes);
        Assert.Equal(first.ETag, rendered.ETag);
        Assert.Equal(rendered.Bytes, again.Bytes);
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_422()
    {
        var name = NewName();
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name }).ToUrl(Models);
            s.WithRequestHeader("Idempotency-Key", "reused");
            s.StatusCodeShouldBe(201);
        });

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models);
            s.WithRequestHeader("Idempotency-Key", "reused");
            s.StatusCodeShouldBe(422);
        });

        response.Problem("idempotency-key-reused");
    }

    [Fact]
    public async Task A_replay_survives_a_restart_of_the_app()
    {
        var name = NewName();
        var app = await fixture.StartAsync();
        IScenarioResult first;
        try
        {
            first = await app.Scenario(s =>
            {
                s.Post.SnakeJson(new { name, description = "before restart" }).ToUrl(Models);
                s.WithRequestHeader("Idempotency-Key", "restart-1");
                s.StatusCodeShouldBe(201);
            });
            app = await app.RestartAsync();

            var again = await app.Scenario(s =>
            {
                s.Post.SnakeJson(new { name, description = "before restart" }).ToUrl(Models);
                s.WithRequestHeader("Idempotency-Key", "restart-1");
                s.StatusCodeShouldBe(201);
            });

            Assert.Equal(first.Bytes, again.Bytes);
            Assert.Equal(first.ETag, again.ETag);
            Assert.Single(await app.StreamAsync(name));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Of_concurrent_duplicates_with_one_key_exactly_one_appends_and_all_answer_the_same()
    {
        var name = NewName();
        await App.RegisterModel(name);
        var body = new { source = new { type = "url", uri = "https://models.example/racing.onnx" } };

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            App.Scenario(s =>
            {
                s.Post.SnakeJson(body).ToUrl($"{Models}/{name}/versions");
                s.WithRequestHeader("Idempotency-Key", "race-1");
                s.StatusCodeShouldBe(202);
            })));

        Assert.All(responses, r => Assert.Equal(responses[0].Bytes, r.Bytes));
        Assert.Single(await App.StreamAsync(name), e => e.EventTypeName == "VersionRegistered");
    }

    [Fact]
    public async Task A_command_that_changes_nothing_stores_its_response_too()
    {
        var name = NewName();
        await App.RegisterModel(name);
        await App.RegisterLocalVersion(name);
        var noOp = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "staging" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.WithRequestHeader("Idempotency-Key", "noop-1");
            s.StatusCodeShouldBe(200);
        });
        await App.Promote(name, 1);

        var replay = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "staging" }).ToUrl($"{Models}/{name}/versions/1/promote");
            s.WithRequestHeader("Idempotency-Key", "noop-1");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal(noOp.Bytes, replay.Bytes);
        Assert.Equal("\"2\"", replay.ETag);
        var version = await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/1"); s.StatusCodeShouldBe(200); });
        Assert.Equal("production", version.Json.Str("stage"));
    }

    [Fact]
    public async Task A_refused_command_is_not_stored_so_the_same_key_can_succeed_later()
    {
        var name = NewName();
        await App.RegisterModel(name);
        await App.Lock(name);
        await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "new" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("Idempotency-Key", "after-unlock");
            s.StatusCodeShouldBe(423);
        });
        await App.Scenario(s => { s.Post.SnakeJson(new { reason = "thaw" }).ToUrl($"{Models}/{name}/unlock"); s.StatusCodeShouldBe(200); });

        var response = await App.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = "new" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("Idempotency-Key", "after-unlock");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal("new", response.Json.Str("description"));
    }

    [Fact]
    public async Task Keys_are_scoped_to_the_route()
    {
        var first = NewName();
        var second = NewName();
        await App.RegisterModel(first);
        await App.RegisterModel(second);

        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "same key" }).ToUrl($"{Models}/{first}/lock");
            s.WithRequestHeader("Idempotency-Key", "shared");
            s.StatusCodeShouldBe(200);
        });
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "same key" }).ToUrl($"{Models}/{second}/lock");
            s.WithRequestHeader("Idempotency-Key", "shared");
            s.StatusCodeShouldBe(200);
        });

        Assert.True((await App.FoldAsync(first)).Locked);
        Assert.True((await App.FoldAsync(second)).Locked);
    }

    [Fact]
    public async Task A_key_is_recognised_whichever_way_the_name_is_spelled()
    {
        var name = $"{NewName("org")}/{NewName()}";
        await App.RegisterModel(name);
        var body = new { reason = "spelling" };
        var first = await App.Scenario(s =>
        {
            s.Post.SnakeJson(body).ToUrl($"{Models}/{name}/lock");
            s.WithRequestHeader("Idempotency-Key", "spelled");
            s.StatusCodeShouldBe(200);
        });

        var encoded = await App.Scenario(s =>
        {
            s.Post.SnakeJson(body).ToUrl($"{Models}/{name.Replace("/", "%2F", StringComparison.Ordinal).ToUpperInvariant()}/lock");
            s.WithRequestHeader("Idempotency-Key", "spelled");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal(first.Bytes, encoded.Bytes);
        Assert.Equal("true", encoded.Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task A_key_longer_than_255_characters_is_400()
    {
        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models);
            s.WithRequestHeader("Idempotency-Key", new string('k', 256));
            s.StatusCodeShouldBe(400);
        });

        response.Problem("invalid-idempotency-key");
    }
}
