using ModelRegistry.Endpoints;
using ModelRegistry.Endpoints.Probing;

namespace ModelRegistry.Tests.Endpoints.Probing;

public sealed class EndpointProbeTests
{
    [Theory]
    [InlineData(EndpointType.Ollama, "http://localhost:11434", null, "http://localhost:11434/api/tags")]
    [InlineData(EndpointType.Ollama, "http://gpu.lan/ollama/", null, "http://gpu.lan/ollama/api/tags")]
    [InlineData(EndpointType.OpenAiCompatible, "http://10.0.0.5:8000", null, "http://10.0.0.5:8000/v1/models")]
    [InlineData(EndpointType.OpenAiCompatible, "http://10.0.0.5:8000/v1", null, "http://10.0.0.5:8000/v1/models")]
    [InlineData(EndpointType.OpenAiCompatible, "http://10.0.0.5:8000/v1/", null, "http://10.0.0.5:8000/v1/models")]
    [InlineData(EndpointType.OpenAiCompatible, "https://gpu.lan/api/openai", null, "https://gpu.lan/api/openai/v1/models")]
    [InlineData(EndpointType.Custom, "http://10.0.0.5:8000", null, "http://10.0.0.5:8000/v1/models")]
    [InlineData(EndpointType.Custom, "http://10.0.0.5:8000/v1", null, "http://10.0.0.5:8000/v1/models")]
    [InlineData(EndpointType.Custom, "http://10.0.0.5:8000/base", "/models/list", "http://10.0.0.5:8000/base/models/list")]
    [InlineData(EndpointType.Custom, "http://10.0.0.5:8000", "models", "http://10.0.0.5:8000/models")]
    public void The_models_are_asked_for_where_the_type_lists_them(EndpointType type, string baseUrl, string? modelsPath, string expected) =>
        Assert.Equal(expected, EndpointProbe.ModelsUrl(type, new Uri(baseUrl), modelsPath).AbsoluteUri);

    [Theory]
    [InlineData("@evil.example/x")]
    [InlineData("//evil.example/x")]
    [InlineData("/x?y=1#z")]
    public void A_custom_path_cannot_change_the_host_or_add_a_query(string modelsPath)
    {
        var url = EndpointProbe.ModelsUrl(EndpointType.Custom, new Uri("http://10.0.0.5:8000"), modelsPath);

        Assert.Equal("10.0.0.5", url.Host);
        Assert.Equal(8000, url.Port);
        Assert.Empty(url.Query);
        Assert.Empty(url.Fragment);
    }
}
