using ModelRegistry.Common;

namespace ModelRegistry.Tests.Common;

public sealed class ProblemsTests
{
    [Fact]
    public void A_problem_type_is_a_stable_url_per_code() =>
        Assert.Equal("https://modelregistry.dev/problems/model-locked", Problems.Type("model-locked"));

    [Fact]
    public void A_title_reads_the_code_as_a_phrase() => Assert.Equal("Version not ready", Problems.Title("version-not-ready"));

    [Fact]
    public void Field_errors_travel_as_an_errors_extension()
    {
        var problem = Problems.Create(400, "validation", "bad", new Dictionary<string, string[]> { ["source.uri"] = ["outside"] });

        Assert.Equal(400, problem.Status);
        Assert.Equal(["outside"], ((IReadOnlyDictionary<string, string[]>)problem.Extensions["errors"]!)["source.uri"]);
    }

    [Fact]
    public void A_problem_without_field_errors_has_no_errors_extension() =>
        Assert.False(Problems.Create(404, "model-not-found", "none").Extensions.ContainsKey("errors"));
}
