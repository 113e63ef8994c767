using ModelRegistry.Downloads.Scanning;

namespace ModelRegistry.Tests.Downloads.Scanning;

public sealed class ScanStorageTests
{
    [Theory]
    [InlineData("tinyllama/tinyllama.Q4_K_M.gguf", "tinyllama")]
    [InlineData("TheBloke/TinyLlama-GGUF/q8.gguf", "TheBloke")]
    [InlineData("vision.onnx", "vision")]
    [InlineData("sd_xl_base_1.0.safetensors", "sd_xl_base_1.0")]
    public void A_file_belongs_to_the_model_named_by_its_first_directory_or_at_the_top_by_its_stem(string path, string model) =>
        Assert.Equal(model, StorageScanner.ModelNameFor(path));

    [Theory]
    [InlineData("my models/weights.gguf", "my-models")]
    [InlineData("_private/weights.gguf", "private")]
    [InlineData("Modèle+v2.bin", "Mod-le-v2")]
    public void Characters_a_name_may_not_have_become_dashes_and_it_starts_with_a_letter_or_digit(string path, string model) =>
        Assert.Equal(model, StorageScanner.ModelNameFor(path));

    [Theory]
    [InlineData("versions/weights.gguf")]
    [InlineData("+++/weights.gguf")]
    public void A_file_no_valid_model_name_can_be_made_for_has_none(string path) =>
        Assert.Null(StorageScanner.ModelNameFor(path));

    [Fact]
    public void A_name_is_cut_to_the_longest_a_name_may_be() =>
        Assert.Equal(new string('a', 96), StorageScanner.ModelNameFor(new string('a', 120) + "/weights.gguf"));
}
