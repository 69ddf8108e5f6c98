namespace PatientStream.Consent.Policy;

/// <summary>
/// The slice of the v3 PurposeOfUse hierarchy the engine reasons about: which purposes are research, which are
/// treatment, and which purpose specialises which (a provision for TREAT also covers ETREAT).
/// </summary>
internal static class PurposeOfUse
{
    public const string System = "http://terminology.hl7.org/CodeSystem/v3-ActReason";

    private static readonly Dictionary<string, string> Parents = new(StringComparer.Ordinal)
    {
        ["ETREAT"] = "TREAT",
        ["BTG"] = "ETREAT",
        ["ERTREAT"] = "ETREAT",
        ["CAREMGT"] = "TREAT",
        ["BIORCH"] = "HRESCH",
        ["CLINTRCH"] = "HRESCH",
        ["CLINTRCHNPC"] = "CLINTRCH",
        ["CLINTRCHPC"] = "CLINTRCH",
        ["PRECLINTRCH"] = "CLINTRCH",
        ["DSRCH"] = "HRESCH",
    };

    /// <summary>Splits "TREAT" or "system|TREAT"; a bare code is a PurposeOfUse code.</summary>
    public static (string System, string Code) Split(string purpose)
    {
        var bar = purpose.LastIndexOf('|');
        return bar < 0 ? (System, purpose) : (purpose[..bar], purpose[(bar + 1)..]);
    }

    /// <summary>The purpose itself and every broader purpose it specialises.</summary>
    public static IEnumerable<string> SelfAndAncestors(string code)
    {
        for (string? current = code; current is not null; current = Parents.GetValueOrDefault(current))
        {
            yield return current;
        }
    }

    public static bool IsResearch(string system, string code) =>
        system == System && SelfAndAncestors(code).Contains("HRESCH", StringComparer.Ordinal);

    public static bool IsTreatment(string system, string code) =>
        system == System && SelfAndAncestors(code).Contains("TREAT", StringComparer.Ordinal);
}
