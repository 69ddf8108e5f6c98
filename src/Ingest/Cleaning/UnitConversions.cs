namespace PatientStream.Ingest.Cleaning;

/// <summary>A conversion applied to a sample, kept with the clean value so the original is never lost.</summary>
/// <param name="FromUnit">The unit the device sent.</param>
/// <param name="FromValue">The value the device sent (first point for a waveform).</param>
/// <param name="ToUnit">The UCUM canonical unit.</param>
/// <param name="Rule">The rule applied, for audit ("[degF]->Cel: (v-32)*5/9").</param>
public sealed record UnitConversion(string FromUnit, double FromValue, string ToUnit, string Rule);

/// <summary>One way of turning a device unit into the canonical unit: <c>v * Scale + Offset</c> after <c>+ PreOffset</c>.</summary>
public sealed record UnitRule(string FromUnit, string ToUnit, double Scale, double Offset = 0, double PreOffset = 0, string? Rule = null)
{
    /// <summary>True when the unit is only another spelling of the canonical unit.</summary>
    public bool IsIdentity => Scale == 1 && Offset == 0 && PreOffset == 0;

    public double Apply(double value) => ((value + PreOffset) * Scale) + Offset;

    public string Describe() => Rule ?? $"{FromUnit}->{ToUnit}: v*{Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Device units accepted per sample type and how each becomes the type's UCUM canonical unit. Units are matched
/// exactly (UCUM is case-sensitive: "mL" and "ml" are not the same thing to every device, so both are listed where seen).
/// </summary>
public sealed class UnitTable
{
    private readonly Dictionary<(string Type, string Unit), UnitRule> _rules;

    public UnitTable(IEnumerable<(string Type, UnitRule Rule)> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [];
        foreach (var (type, rule) in rules)
        {
            if (!_rules.TryAdd((type, rule.FromUnit), rule))
            {
                throw new ArgumentException($"Unit '{rule.FromUnit}' is listed twice for sample type '{type}'.", nameof(rules));
            }
        }
    }

    public bool TryGet(string type, string unit, out UnitRule rule) => _rules.TryGetValue((type, unit), out rule!);

    public IEnumerable<(string Type, UnitRule Rule)> Rules => _rules.Select(r => (r.Key.Type, r.Value));

    /// <summary>UCUM canonical units of DESIGN.md, their common spellings, and the conversions devices need (from the default mapping).</summary>
    public static UnitTable Default => Mapping.MappingLoader.Default().Units;
}
