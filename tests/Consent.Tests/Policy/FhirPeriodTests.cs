using PatientStream.Consent.Policy;

namespace PatientStream.Consent.Tests.Policy;

public sealed class FhirPeriodTests
{
    [Theory]
    [InlineData("2026", false, "2026-01-01T00:00:00.0000000+00:00")]
    [InlineData("2026", true, "2026-12-31T23:59:59.9999999+00:00")]
    [InlineData("2026-02", true, "2026-02-28T23:59:59.9999999+00:00")]
    [InlineData("2026-11-21", false, "2026-11-21T00:00:00.0000000+00:00")]
    [InlineData("2026-11-21", true, "2026-11-21T23:59:59.9999999+00:00")]
    [InlineData("2026-11-21T10:00:04+02:00", false, "2026-11-21T10:00:04.0000000+02:00")]
    [InlineData("2026-11-21T10:00:04.120Z", true, "2026-11-21T10:00:04.1200000+00:00")]
    public void Partial_dates_widen_to_their_whole_unit(string text, bool asEnd, string expected)
    {
        Assert.True(FhirPeriod.TryParseDateTime(text, asEnd, out var instant));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), instant);
    }

    [Theory]
    [InlineData("")]
    [InlineData("21/11/2026")]
    [InlineData("2026-13")]
    [InlineData("2026-11-21T10:00:04")]
    [InlineData("2026-11-21 10:00:04Z")]
    public void Invalid_or_zoneless_date_times_are_rejected(string text) =>
        Assert.False(FhirPeriod.TryParseDateTime(text, asEnd: false, out _));
}
