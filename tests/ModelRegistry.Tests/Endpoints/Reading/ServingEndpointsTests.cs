using ModelRegistry.Endpoints.Reading;

namespace ModelRegistry.Tests.Endpoints.Reading;

public sealed class ServingEndpointsTests
{
    [Theory]
    [InlineData("tinyllama:latest", "tinyllama")]
    [InlineData("TinyLlama", "TheBloke/tinyllama")]
    [InlineData("hf.co/TheBloke/TinyLlama-GGUF:Q4_K_M", "TheBloke/TinyLlama-GGUF")]
    [InlineData("thebloke/tinyllama-gguf", "TheBloke/TinyLlama-GGUF")]
    public void An_endpoints_name_for_a_model_matches_ignoring_case_tag_and_hub_prefix(string discovered, string model) =>
        Assert.True(ServingEndpoints.NamesMatch(discovered, model));

    [Theory]
    [InlineData("tinyllama2", "tinyllama")]
    [InlineData("other/tinyllama-gguf", "TheBloke/TinyLlama")]
    [InlineData("llama", "TheBloke/TinyLlama")]
    public void Other_names_do_not_match(string discovered, string model) =>
        Assert.False(ServingEndpoints.NamesMatch(discovered, model));
}
