using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Tests.Catalog.Reading;

public sealed class ReadQueryTests
{
    [Theory]
    [InlineData(null, 50)]
    [InlineData("1", 1)]
    [InlineData("200", 200)]
    public void A_limit_defaults_to_50_and_takes_1_through_200(string? raw, int expected) => Assert.Equal(expected, ReadQuery.Limit(raw));

    [Theory]
    [InlineData("ten")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("201")]
    [InlineData("999999999")]
    [InlineData("99999999999999")]
    public void A_limit_that_is_not_an_integer_from_1_to_200_is_refused(string raw) =>
        Assert.Equal((DomainErrorKind.Invalid, "limit"), ReadQueryTests.Refusal(() => ReadQuery.Limit(raw)));

    [Theory]
    [InlineData("2025-06-01T12:00:00Z", "2025-06-01T12:00:00+00:00")]
    [InlineData("2025-06-01T14:00:00.123456+02:00", "2025-06-01T12:00:00.123456+00:00")]
    [InlineData("2025-06-01T14:00:00 02:00", "2025-06-01T12:00:00+00:00")]
    public void As_of_takes_RFC_3339_timestamps(string raw, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ReadQuery.Timestamp(raw, "as_of"));

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2025-06-01")]
    [InlineData("2025-06-01 12:00:00")]
    [InlineData("2025-06-01T12:00:00")]
    [InlineData("2025-13-01T12:00:00Z")]
    public void As_of_that_is_not_an_RFC_3339_timestamp_is_refused(string raw) =>
        Assert.Equal((DomainErrorKind.Invalid, "as_of"), ReadQueryTests.Refusal(() => ReadQuery.Timestamp(raw, "as_of")));

    [Fact]
    public void A_cursor_reads_back_the_key_it_was_made_from()
    {
        Assert.Equal("thebloke/tinyllama", ReadQuery.CursorText(ReadQuery.Cursor('m', "thebloke/tinyllama"), 'm'));
        Assert.Equal(12345L, ReadQuery.CursorNumber(ReadQuery.Cursor('a', 12345), 'a'));
        Assert.Null(ReadQuery.CursorText(null, 'm'));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("bTp4")] // "m:x" where a number is expected
    [InlineData("eDox")] // "x:1", another list's cursor
    public void A_cursor_this_list_did_not_hand_out_is_refused(string raw) =>
        Assert.Equal((DomainErrorKind.Invalid, "cursor"), ReadQueryTests.Refusal(() => ReadQuery.CursorNumber(raw, 'a')));

    [Fact]
    public void Stages_and_statuses_are_read_case_insensitively_and_unknown_ones_refused()
    {
        Assert.Equal(Stage.Production, ReadQuery.Stage("Production"));
        Assert.Equal(ArtifactStatus.Ready, ReadQuery.Status("ready"));
        Assert.Equal((DomainErrorKind.Invalid, "stage"), ReadQueryTests.Refusal(() => ReadQuery.Stage("live")));
        Assert.Equal((DomainErrorKind.Invalid, "status"), ReadQueryTests.Refusal(() => ReadQuery.Status("done")));
    }

    internal static (DomainErrorKind, string) Refusal(Action act)
    {
        var ex = Assert.Throws<DomainException>(act);
        return (ex.Kind, Assert.Single(ex.Errors).Key);
    }
}
