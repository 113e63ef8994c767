using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Common;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("Name", "name")]
    [InlineData("Source.Uri", "source.uri")]
    [InlineData("Metadata.ContextLength", "metadata.context_length")]
    [InlineData("Items[2].SizeBytes", "items[2].size_bytes")]
    [InlineData("", "")]
    public void Field_paths_are_snake_case_like_the_json(string property, string field) =>
        Assert.Equal(field, Validation.FieldPath(property));

    [Fact]
    public void Every_validator_in_the_assembly_is_registered_for_its_request_type()
    {
        using var services = new ServiceCollection().AddValidators(typeof(CatalogRules).Assembly).BuildServiceProvider();

        Assert.IsType<RegisterVersionRequestValidator>(services.GetRequiredService<IValidator<RegisterVersionRequest>>());
        Assert.IsType<SourceRequestValidator>(services.GetRequiredService<IValidator<SourceRequest>>());
        Assert.IsType<RequiredReasonBodyValidator>(services.GetRequiredService<IValidator<RequiredReasonBody>>());
    }
}
