using ModelRegistry.Downloads;
using ModelRegistry.Downloads.Processing;

namespace ModelRegistry.Tests.Downloads.Processing;

public sealed class ArtifactStoreTests
{
    [Theory]
    [InlineData("tinyllama-1.1b-chat.Q4_K_M.gguf", "tinyllama-1.1b-chat.Q4_K_M.gguf")]
    [InlineData("/models/v1/model.onnx", "model.onnx")]
    [InlineData("sub/dir/weights.safetensors", "weights.safetensors")]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("..", "model.bin")]
    [InlineData("/", "model.bin")]
    [InlineData(".hidden", "hidden")]
    [InlineData("a%2F..%2Fb.bin", "a_.._b.bin")]
    [InlineData("mödel file.bin", "m_del_file.bin")]
    public void A_remote_file_name_becomes_a_safe_local_one(string remote, string local) =>
        Assert.Equal(local, ArtifactStore.SafeFileName(remote));

    [Fact]
    public void A_version_is_readable_under_its_model_name_and_number() =>
        Assert.Equal("TheBloke/TinyLlama/3/model.gguf", ArtifactStore.ReadablePath("TheBloke/TinyLlama", 3, "q4/model.gguf"));

    [Fact]
    public void A_taken_readable_name_gives_way_to_numbered_ones_beside_it()
    {
        Assert.Equal(["m/1/model.gguf", "m/1/model-2.gguf", "m/1/model-3.gguf"], ArtifactStore.ReadablePaths("m", 1, "model.gguf").Take(3));
        Assert.Equal("ns/m.v2/4/weights-2", ArtifactStore.ReadablePaths("ns/m.v2", 4, "weights")[1]);
        Assert.Equal(100, ArtifactStore.ReadablePaths("m", 1, "model.gguf").Distinct().Count());
    }

    [Fact]
    public void A_versions_first_download_job_has_one_id_whatever_the_names_case()
    {
        Assert.Equal(DownloadJob.IdFor("TheBloke/TinyLlama", 2), DownloadJob.IdFor("thebloke/tinyllama", 2));
        Assert.NotEqual(DownloadJob.IdFor("TheBloke/TinyLlama", 2), DownloadJob.IdFor("TheBloke/TinyLlama", 3));
        Assert.Equal(8, DownloadJob.IdFor("m", 1).Version);
    }
}
