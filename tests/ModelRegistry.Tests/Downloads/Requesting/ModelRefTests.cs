using ModelRegistry.Catalog.Registering;
using ModelRegistry.Downloads.Requesting;

namespace ModelRegistry.Tests.Downloads.Requesting;

public sealed class ModelRefTests
{
    [Theory]
    [InlineData("hf:TheBloke/TinyLlama", "TheBloke/TinyLlama", null, null, "TheBloke/TinyLlama")]
    [InlineData("hf:TheBloke/TinyLlama/tinyllama.Q4_K_M.gguf", "TheBloke/TinyLlama", "tinyllama.Q4_K_M.gguf", null, "TheBloke/TinyLlama")]
    [InlineData("hf:org/repo/sub/dir/model.onnx@v1.2", "org/repo", "sub/dir/model.onnx", "v1.2", "org/repo")]
    [InlineData("hf:org/repo@refs/pr/3", "org/repo", null, "refs/pr/3", "org/repo")]
    [InlineData("hf:gpt2", "gpt2", null, null, "gpt2")]
    [InlineData("hf:org/versions", "org/versions", null, null, null)]
    public void A_hub_reference_names_a_repository_file_and_revision(string reference, string repo, string? file, string? revision, string? name) =>
        Assert.Equal(new ModelRef(new SourceRequest("huggingface", repo, revision, file), name), ModelRef.Parse(reference));

    [Theory]
    [InlineData("https://models.example/vision/yolo-v8.onnx", "url", "yolo-v8")]
    [InlineData("http://models.example/a%20b.gguf?sig=1", "url", "a-b")]
    [InlineData("https://models.example/", "url", null)]
    [InlineData("local:incoming/mistral.Q4.gguf", "local", "mistral.Q4")]
    [InlineData("file:///srv/models/phi-3.safetensors", "local", "phi-3")]
    public void Other_references_are_named_after_their_file(string reference, string type, string? name)
    {
        var parsed = ModelRef.Parse(reference);

        Assert.NotNull(parsed);
        Assert.Equal(type, parsed.Source.Type);
        Assert.Equal(name, parsed.DefaultName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("hf:")]
    [InlineData("hf:org/repo@")]
    [InlineData("hf:../x")]
    [InlineData("hf:-org/repo")]
    [InlineData("local:")]
    [InlineData("ftp://models.example/m.gguf")]
    [InlineData("TheBloke/TinyLlama")]
    [InlineData("hf:org/repo\n")]
    public void Anything_else_is_not_a_reference(string? reference) => Assert.Null(ModelRef.Parse(reference));
}
