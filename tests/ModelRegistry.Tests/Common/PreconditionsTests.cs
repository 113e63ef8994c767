using Microsoft.AspNetCore.Http;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Common;

public sealed class PreconditionsTests
{
    private static long? IfMatch(params string[] values)
    {
        var http = new DefaultHttpContext();
        foreach (var value in values)
        {
            http.Request.Headers.Append("If-Match", value);
        }

        return Preconditions.IfMatch(http.Request);
    }

    [Fact]
    public void An_etag_is_the_quoted_stream_version() => Assert.Equal("\"42\"", Preconditions.ETag(42));

    [Fact]
    public void No_If_Match_expects_nothing() => Assert.Null(IfMatch());

    [Fact]
    public void If_Match_star_expects_nothing() => Assert.Null(IfMatch("*"));

    [Fact]
    public void A_quoted_version_is_the_expected_version() => Assert.Equal(7, IfMatch("\"7\""));

    [Fact]
    public void Zero_expects_a_model_that_does_not_exist_yet() => Assert.Equal(0, IfMatch("\"0\""));

    [Theory]
    [InlineData("7")]
    [InlineData("W/\"7\"")]
    [InlineData("\"seven\"")]
    [InlineData("\"-1\"")]
    [InlineData("\"\"")]
    [InlineData("\"99999999999999999999\"")]
    public void Anything_else_is_a_400_on_If_Match(string value)
    {
        var error = Assert.Throws<DomainException>(() => IfMatch(value));

        Assert.Equal(400, error.Status);
        Assert.Equal("invalid-if-match", error.Code);
    }

    [Fact]
    public void Two_etags_are_refused() =>
        Assert.Equal("invalid-if-match", Assert.Throws<DomainException>(() => IfMatch("\"1\"", "\"2\"")).Code);
}
