using Microsoft.AspNetCore.Http;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Common;

public sealed class ModelRoutesTests
{
    private static async Task<string> Bind(string name, string? ns = null)
    {
        var http = new DefaultHttpContext();
        http.Request.RouteValues["name"] = name;
        if (ns is not null)
        {
            http.Request.RouteValues["namespace"] = ns;
        }

        return (await ModelName.BindAsync(http)).Value;
    }

    [Fact]
    public async Task A_plain_name_binds_as_itself() => Assert.Equal("yolov8n", await Bind("yolov8n"));

    [Fact]
    public async Task A_namespace_and_a_name_bind_as_one_name() => Assert.Equal("TheBloke/TinyLlama", await Bind("TinyLlama", "TheBloke"));

    [Theory]
    [InlineData("TheBloke%2FTinyLlama")]
    [InlineData("TheBloke%2fTinyLlama")]
    public async Task An_encoded_slash_binds_as_a_slash(string segment) => Assert.Equal("TheBloke/TinyLlama", await Bind(segment));

    [Fact]
    public void Paths_name_the_model_with_a_plain_slash() =>
        Assert.Equal("/api/v1/models/TheBloke/TinyLlama/versions/3", ModelRoutes.PathOf("TheBloke/TinyLlama", "versions/3"));
}
