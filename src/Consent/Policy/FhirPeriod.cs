using System.Globalization;
using System.Text.Json;

namespace PatientStream.Consent.Policy;

/// <summary>
/// A FHIR Period as an inclusive instant range. FHIR dateTimes may be partial ("2026", "2026-11",
/// "2026-11-21"): a partial start means the beginning of that unit and a partial end its last instant, so
/// "end": "2026-11-21" covers the whole day. Dates without a zone are read as UTC.
/// </summary>
internal sealed record FhirPeriod(DateTimeOffset? Start, DateTimeOffset? End)
{
    public bool Contains(DateTimeOffset instant) =>
        (Start is null || instant >= Start) && (End is null || instant <= End);

    public static FhirPeriod? Parse(JsonElement owner, string property)
    {
        if (!owner.TryGetProperty(property, out var period))
        {
            return null;
        }

        if (period.ValueKind != JsonValueKind.Object)
        {
            throw new MalformedConsentException($"{property} is not a Period");
        }

        DateTimeOffset? start = period.TryGetProperty("start", out var s) ? ParseBound(s, property, isEnd: false) : null;
        DateTimeOffset? end = period.TryGetProperty("end", out var e) ? ParseBound(e, property, isEnd: true) : null;
        return new FhirPeriod(start, end);
    }

    private static DateTimeOffset ParseBound(JsonElement value, string property, bool isEnd)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return TryParseDateTime(text, isEnd, out var instant)
            ? instant
            : throw new MalformedConsentException($"{property} has an invalid dateTime '{text}'");
    }

    /// <summary>Parses a FHIR dateTime of any precision; <paramref name="asEnd"/> yields the last instant of a partial value.</summary>
    public static bool TryParseDateTime(string? text, bool asEnd, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        const DateTimeStyles Utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var c = CultureInfo.InvariantCulture;
        switch (text.Length)
        {
            case 4 when DateTimeOffset.TryParseExact(text, "yyyy", c, Utc, out var year):
                instant = asEnd ? year.AddYears(1).AddTicks(-1) : year;
                return true;
            case 7 when DateTimeOffset.TryParseExact(text, "yyyy-MM", c, Utc, out var month):
                instant = asEnd ? month.AddMonths(1).AddTicks(-1) : month;
                return true;
            case 10 when DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", c, Utc, out var day):
                instant = asEnd ? day.AddDays(1).AddTicks(-1) : day;
                return true;
            case > 10 when text[10] == 'T':
                // FHIR requires a zone once a time is given; an instant without one is not guessed.
                var hasZone = text.EndsWith('Z') || text.LastIndexOfAny(['+', '-']) > 10;
                return hasZone && DateTimeOffset.TryParse(text, c, DateTimeStyles.None, out instant);
            default:
                return false;
        }
    }
}
