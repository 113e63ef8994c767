using System.Text;
using ModelRegistry.Endpoints;
using ModelRegistry.Endpoints.Probing;

namespace ModelRegistry.Tests.Endpoints.Probing;

public sealed class ModelListingTests
{
    private const string Hex = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";

    [Theory]
    [InlineData(Hex, Hex)]
    [InlineData("sha256:" + Hex, Hex)]
    [InlineData("SHA256:A80C4F17ACD55265FEEC403C7AEF86BE0C25983AB279D83F3BCD3ABBCB5B8B72", Hex)]
    [InlineData("sha512:" + Hex, null)]
    [InlineData("a80c4f17acd5", null)]
    [InlineData(Hex + "00", null)]
    [InlineData("g80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void A_digest_is_kept_only_as_a_lower_case_sha256(string? digest, string? expected) =>
        Assert.Equal(expected, ModelListing.Sha256(digest));

    [Fact]
    public void An_Ollama_listing_gives_names_sizes_digests_times_and_flattened_details()
    {
        var models = Parse(EndpointType.Ollama, $$$"""
            {"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","modified_at":"2024-10-01T12:34:56.123456789-07:00","size":2019393189,
              "digest":"{{{Hex}}}","details":{"parent_model":"","format":"gguf","family":"llama","families":["llama","clip"],
              "parameter_size":"3.2B","quantization_level":"Q4_K_M","nested":{"x":1},"experts":8}}]}
            """);

        var model = Assert.Single(models!);
        Assert.Equal("llama3.2:3b", model.Name);
        Assert.Equal(2019393189, model.SizeBytes);
        Assert.Equal(Hex, model.Digest);
        Assert.Equal(new DateTimeOffset(2024, 10, 1, 19, 34, 56, TimeSpan.Zero).AddTicks(1234567), model.ModifiedAt);
        Assert.Equal("gguf", model.Details!["format"]);
        Assert.Equal("llama,clip", model.Details["families"]);
        Assert.Equal("Q4_K_M", model.Details["quantization_level"]);
        Assert.Equal("8", model.Details["experts"]);
        Assert.False(model.Details.ContainsKey("nested"));
    }

    [Fact]
    public void An_OpenAI_listing_gives_ids_creation_times_and_owners()
    {
        var models = Parse(EndpointType.OpenAiCompatible, """
            {"object":"list","data":[{"id":"gpt-oss-20b","object":"model","created":1700000000,"owned_by":"vllm"},{"id":"bare"}]}
            """);

        Assert.NotNull(models);
        Assert.Equal(["gpt-oss-20b", "bare"], models.Select(m => m.Name));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), models[0].ModifiedAt);
        Assert.Equal("vllm", models[0].Details!["owned_by"]);
        Assert.Null(models[1].ModifiedAt);
        Assert.Null(models[1].Digest);
    }

    [Theory]
    [InlineData("""{"models":[{"name":"a"}]}""")]
    [InlineData("""{"data":[{"id":"a"}]}""")]
    public void A_custom_endpoint_may_answer_in_either_shape(string body) =>
        Assert.Equal("a", Assert.Single(Parse(EndpointType.Custom, body)!).Name);

    [Theory]
    [InlineData(EndpointType.Ollama, """{"data":[{"id":"a"}]}""")]
    [InlineData(EndpointType.OpenAiCompatible, """{"models":[{"name":"a"}]}""")]
    [InlineData(EndpointType.Custom, """{"items":[]}""")]
    [InlineData(EndpointType.Custom, """[{"name":"a"}]""")]
    [InlineData(EndpointType.Custom, """{"models":"a"}""")]
    [InlineData(EndpointType.Custom, """{"models":[""")]
    [InlineData(EndpointType.Custom, "<html>502 Bad Gateway</html>")]
    [InlineData(EndpointType.Custom, "")]
    public void A_body_of_another_shape_is_malformed(EndpointType type, string body) =>
        Assert.Null(Parse(type, body));

    [Fact]
    public void A_listing_nested_deeper_than_the_bound_is_malformed() =>
        Assert.Null(Parse(EndpointType.Custom, "{\"models\":" + new string('[', 100) + new string(']', 100) + "}"));

    [Fact]
    public void An_empty_or_null_listing_has_no_models()
    {
        Assert.Empty(Parse(EndpointType.Ollama, """{"models":[]}""")!);
        Assert.Empty(Parse(EndpointType.Ollama, """{"models":null}""")!);
    }

    [Fact]
    public void Entries_without_a_usable_name_are_passed_over()
    {
        var tooLong = new string('m', ModelListing.MaxNameLength + 1);
        var models = Parse(EndpointType.Ollama, $$$"""
            {"models":[{"name":""},{"size":1},"text",{"name":"{{{tooLong}}}"},{"name":"a\u0000b"},{"model":"from-model"},{"name":"ok","size":"big","digest":7}]}
            """);

        Assert.NotNull(models);
        Assert.Equal(["from-model", "ok"], models.Select(m => m.Name));
        Assert.Null(models[1].SizeBytes);
        Assert.Null(models[1].Digest);
    }

    [Fact]
    public void A_listing_keeps_at_most_the_bounded_number_of_models()
    {
        var body = "{\"data\":[" + string.Join(",", Enumerable.Range(0, ModelListing.MaxModels + 5).Select(i => $"{{\"id\":\"m{i}\"}}")) + "]}";

        Assert.Equal(ModelListing.MaxModels, Parse(EndpointType.OpenAiCompatible, body)!.Count);
    }

    [Theory]
    [InlineData("2024-10-01T12:34:56Z", 0)]
    [InlineData("2024-10-01T12:34:56.1Z", 1_000_000)]
    [InlineData("2024-10-01T12:34:56.123456789Z", 1_234_567)]
    [InlineData("2024-10-01T05:34:56.123456789123-07:00", 1_234_567)]
    public void Timestamps_with_any_number_of_fractional_digits_are_read(string text, long fractionTicks) =>
        Assert.Equal(new DateTimeOffset(2024, 10, 1, 12, 34, 56, TimeSpan.Zero).AddTicks(fractionTicks), ModelListing.Timestamp(text));

    private static IReadOnlyList<DiscoveredModel>? Parse(EndpointType type, string body) => ModelListing.Parse(type, Encoding.UTF8.GetBytes(body));
}
