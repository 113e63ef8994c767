using System.Collections.Immutable;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Updating;

public sealed class UpdateModelTests
{
    private static readonly ImmutableDictionary<string, string> NewTags =
        ImmutableDictionary<string, string>.Empty.Add("team", "vision").Add("tier", "gold");

    [Fact]
    public void Updating_description_and_tags_records_both_and_replaces_the_tags() =>
        Given(Events.ModelRegistered())
            .When(new UpdateModel(Events.Name, "Now bigger", NewTags))
            .Then(new ModelUpdated("Now bigger", NewTags))
            .ThenState(s =>
            {
                Assert.Equal("Now bigger", s.Description);
                Assert.Equal(["team", "tier"], s.Tags.Keys);
                Assert.Equal("vision", s.Tags["team"]);
            });

    [Fact]
    public void Updating_only_the_tags_leaves_the_description_as_it_was() =>
        Given(Events.ModelRegistered())
            .When(new UpdateModel(Events.Name, null, NewTags))
            .Then(new ModelUpdated(null, NewTags))
            .ThenState(s => Assert.Equal("A small chat model", s.Description));

    [Fact]
    public void Only_what_changed_is_recorded() =>
        Given(Events.ModelRegistered())
            .When(new UpdateModel(Events.Name, "A small chat model", NewTags))
            .Then(new ModelUpdated(null, NewTags));

    [Fact]
    public void An_update_that_changes_nothing_records_nothing() =>
        Given(Events.ModelRegistered())
            .When(new UpdateModel(Events.Name, "A small chat model", new Dictionary<string, string> { ["team"] = "nlp" }))
            .ThenNothing();

    [Fact]
    public void Updating_an_unknown_model_is_not_found() =>
        Given()
            .When(new UpdateModel(Events.Name, "x", null))
            .ThenFails(DomainErrorKind.NotFound, "model-not-found");

    [Fact]
    public void A_description_longer_than_4000_characters_is_invalid() =>
        Assert.Contains(new UpdateModelRequestValidator().Validate(new UpdateModelRequest(new string('x', 4001), null)).Errors,
            e => e.PropertyName == "Description");
}
