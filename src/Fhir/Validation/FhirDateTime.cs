using System.Globalization;

namespace PatientStream.Fhir.Validation;

/// <summary>
/// A FHIR date/dateTime/instant as the half-open UTC range it denotes (a year covers the whole year), which is
/// what date search compares against.
/// </summary>
public readonly record struct FhirDateRange(DateTimeOffset Low, DateTimeOffset High)
{
    /// <summary>Inclusive upper bound in ticks, for range comparisons in index tables.</summary>
    public long LowTicks => Low.UtcTicks;

    public long HighTicks => High.UtcTicks - 1;
}

public static class FhirDateTime
{
    /// <summary>An instant as FHIR writes it (UTC, milliseconds).</summary>
    public static string FormatInstant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out FhirDateRange range)
    {
        range = default;
        try
        {
            if (text.Length == 4 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var y))
            {
                var start = new DateTimeOffset(y, 1, 1, 0, 0, 0, TimeSpan.Zero);
                range = new FhirDateRange(start, start.AddYears(1));
                return true;
            }

            if (text.Length == 7 && DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var ym))
            {
                var start = new DateTimeOffset(ym.Year, ym.Month, 1, 0, 0, 0, TimeSpan.Zero);
                range = new FhirDateRange(start, start.AddMonths(1));
                return true;
            }

            if (text.Length == 10 && DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                var start = new DateTimeOffset(d.Year, d.Month, d.Day, 0, 0, 0, TimeSpan.Zero);
                range = new FhirDateRange(start, start.AddDays(1));
                return true;
            }

            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dt) && text.Length >= 16)
            {
                // Precision is to the stated unit: seconds (or the fraction given).
                var fraction = text.IndexOf('.', StringComparison.Ordinal);
                var width = TimeSpan.FromSeconds(1);
                if (fraction > 0)
                {
                    var digits = text[(fraction + 1)..].TakeWhile(char.IsAsciiDigit).Count();
                    width = TimeSpan.FromTicks((long)Math.Max(1, TimeSpan.TicksPerSecond / Math.Pow(10, Math.Min(digits, 7))));
                }
                else if (text.Length >= 16 && text.Length <= 22 && text.Count(c => c == ':') <= 2 && !HasSeconds(text))
                {
                    width = TimeSpan.FromMinutes(1);
                }

                range = new FhirDateRange(dt, dt + width);
                return true;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }

        return false;
    }

    private static bool HasSeconds(string text) => text.Length >= 19 && text[13] == ':' && text[16] == ':';
}
