using System.Collections.Immutable;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using static ModelRegistry.Tests.Catalog.DeciderSpec;

namespace ModelRegistry.Tests.Catalog.Registering;

public sealed class RegisterModelTests
{
    private static readonly ImmutableDictionary<string, string> Tags = ImmutableDictionary<string, string>.Empty.Add("team", "nlp");

    [Fact]
    public void Registering_a_new_model_records_its_name_description_tags_and_owner() =>
        Given()
            .When(new RegisterModel("TheBloke/TinyLlama", "A small chat model", Tags, "alice"))
            .Then(new ModelRegistered("TheBloke/TinyLlama", "A small chat model", Tags, "alice"))
            .ThenState(s =>
            {
                Assert.True(s.Exists);
                Assert.Equal("TheBloke/TinyLlama", s.Name);
                Assert.Equal("nlp", s.Tags["team"]);
                Assert.Equal("alice", s.Owner);
                Assert.False(s.Locked);
                Assert.Empty(s.Versions);
            });

    [Fact]
    public void Registering_a_name_that_exists_in_another_case_is_a_conflict() =>
        Given(Events.ModelRegistered("TheBloke/TinyLlama"))
            .When(new RegisterModel("thebloke/tinyllama", null, Tags, "bob"))
            .ThenFails(DomainErrorKind.Conflict, "duplicate-model");

    [Fact]
    public void Names_that_differ_only_in_case_share_one_stream() =>
        Assert.Equal(CatalogStream.StreamId("TheBloke/TinyLlama"), CatalogStream.StreamId("THEBLOKE/tinyllama"));

    [Theory]
    [InlineData("llama")]
    [InlineData("TheBloke/TinyLlama-1.1B-Chat-v1.0")]
    [InlineData("a")]
    [InlineData("org_1/model.v2")]
    [InlineData("versions/llama")]
    [InlineData("Production-ready")]
    public void A_well_formed_name_is_accepted(string name) =>
        Assert.True(new RegisterModelRequestValidator().Validate(new RegisterModelRequest(name, null, null)).IsValid);

    [Theory]
    [InlineData("")]
    [InlineData("-llama")]
    [InlineData(".hidden")]
    [InlineData("a/b/c")]
    [InlineData("org/")]
    [InlineData("/llama")]
    [InlineData("../etc")]
    [InlineData("llama model")]
    [InlineData("llama\n")]
    [InlineData("org/versions")]
    [InlineData("production")]
    [InlineData("org/By-Path")]
    [InlineData("lock")]
    public void A_malformed_or_route_word_name_is_rejected(string name)
    {
        var result = new RegisterModelRequestValidator().Validate(new RegisterModelRequest(name, null, null));

        Assert.Contains(result.Errors, e => e.PropertyName == "Name");
    }

    [Fact]
    public void A_name_part_may_be_96_characters_but_not_97()
    {
        Assert.True(CatalogRules.IsModelName(new string('a', 96)));
        Assert.False(CatalogRules.IsModelName(new string('a', 97)));
    }

    [Fact]
    public void A_tag_key_with_a_colon_is_rejected()
    {
        var result = new RegisterModelRequestValidator().Validate(
            new RegisterModelRequest("llama", null, new Dictionary<string, string> { ["a:b"] = "c" }));

        Assert.Contains(result.Errors, e => e.PropertyName == "Tags");
    }
}
