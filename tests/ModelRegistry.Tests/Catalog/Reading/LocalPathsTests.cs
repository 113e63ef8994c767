using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Catalog.Reading;

public sealed class LocalPathsTests
{
    private const string Root = "/srv/models";

    [Theory]
    [InlineData("tinyllama/v1.gguf", "tinyllama/v1.gguf")]
    [InlineData("./tinyllama//v1.gguf", "tinyllama/v1.gguf")]
    [InlineData("/srv/models/tinyllama/v1.gguf", "tinyllama/v1.gguf")]
    [InlineData("/srv/models//tinyllama/./v1.gguf", "tinyllama/v1.gguf")]
    [InlineData("..weird/v1.gguf", "..weird/v1.gguf")]
    public void A_path_is_looked_up_relative_to_the_storage_root_and_as_an_absolute_path(string raw, string relative) =>
        Assert.Equal([relative, $"{Root}/{relative}"], LocalPaths.Candidates(raw, Root));

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("tinyllama/../../etc/passwd")]
    [InlineData("/srv/models/../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("/srv/modelsX/v1.gguf")]
    [InlineData("/srv/models")]
    [InlineData("tinyllama\\..\\v1.gguf")]
    [InlineData("v1.gguf\0")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("./")]
    public void Traversal_and_paths_outside_the_root_are_refused(string raw) =>
        Assert.Equal((DomainErrorKind.Invalid, "path"), ReadQueryTests.Refusal(() => LocalPaths.Candidates(raw, Root)));
}
