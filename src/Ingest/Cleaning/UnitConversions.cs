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

    /// <summary>UCUM canonical units of DESIGN.md, their common spellings, and the conversions devices need.</summary>
    public static UnitTable Default { get; } = new(BuildDefault());

    // Glucose molar mass 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL.
    private const double GlucoseMgPerDlPerMmolPerL = 18.0156;
    private const double MmHgPerKpa = 7.500615758456564;
    private const double KgPerPound = 0.45359237;
    private const double KgPerOunce = 0.028349523125;

    private static IEnumerable<(string, UnitRule)> BuildDefault()
    {
        foreach (var type in new[] { SampleTypes.HeartRate.Name, SampleTypes.RespiratoryRate.Name })
        {
            foreach (var alias in new[] { "/min", "1/min", "bpm", "beats/min", "{beats}/min", "breaths/min", "{breaths}/min" })
            {
                yield return (type, Same(alias, "/min"));
            }
            yield return (type, new UnitRule("/s", "/min", 60, Rule: "/s->/min: v*60"));
            yield return (type, new UnitRule("Hz", "/min", 60, Rule: "Hz->/min: v*60"));
        }
        yield return (SampleTypes.Spo2.Name, Same("%", "%"));
        yield return (SampleTypes.Spo2.Name, new UnitRule("1", "%", 100, Rule: "1->%: v*100"));
        foreach (var alias in new[] { "Cel", "°C", "degC", "C" })
        {
            yield return (SampleTypes.BodyTemperature.Name, Same(alias, "Cel"));
        }
        foreach (var alias in new[] { "[degF]", "°F", "degF", "F" })
        {
            yield return (SampleTypes.BodyTemperature.Name, new UnitRule(alias, "Cel", 5.0 / 9.0, PreOffset: -32, Rule: $"{alias}->Cel: (v-32)*5/9"));
        }
        yield return (SampleTypes.BodyTemperature.Name, new UnitRule("K", "Cel", 1, Offset: -273.15, Rule: "K->Cel: v-273.15"));
        foreach (var type in new[] { SampleTypes.Systolic.Name, SampleTypes.Diastolic.Name })
        {
            yield return (type, Same("mm[Hg]", "mm[Hg]"));
            yield return (type, Same("mmHg", "mm[Hg]"));
            yield return (type, new UnitRule("kPa", "mm[Hg]", MmHgPerKpa, Rule: "kPa->mm[Hg]: v*7.500615758"));
        }
        yield return (SampleTypes.BodyWeight.Name, Same("kg", "kg"));
        yield return (SampleTypes.BodyWeight.Name, new UnitRule("g", "kg", 0.001, Rule: "g->kg: v/1000"));
        foreach (var alias in new[] { "[lb_av]", "lb", "lbs" })
        {
            yield return (SampleTypes.BodyWeight.Name, new UnitRule(alias, "kg", KgPerPound, Rule: $"{alias}->kg: v*0.45359237"));
        }
        yield return (SampleTypes.BodyWeight.Name, new UnitRule("[oz_av]", "kg", KgPerOunce, Rule: "[oz_av]->kg: v*0.028349523125"));
        foreach (var alias in new[] { "{steps}", "steps", "{count}", "1" })
        {
            yield return (SampleTypes.Steps.Name, Same(alias, "{steps}"));
        }
        yield return (SampleTypes.Glucose.Name, Same("mg/dL", "mg/dL"));
        yield return (SampleTypes.Glucose.Name, new UnitRule("mmol/L", "mg/dL", GlucoseMgPerDlPerMmolPerL, Rule: "mmol/L->mg/dL: v*18.0156 (glucose)"));
        yield return (SampleTypes.Glucose.Name, new UnitRule("g/L", "mg/dL", 100, Rule: "g/L->mg/dL: v*100"));
        yield return (SampleTypes.Ecg.Name, Same("mV", "mV"));
        yield return (SampleTypes.Ecg.Name, new UnitRule("uV", "mV", 0.001, Rule: "uV->mV: v/1000"));
        yield return (SampleTypes.Ecg.Name, new UnitRule("µV", "mV", 0.001, Rule: "µV->mV: v/1000"));
        yield return (SampleTypes.Ecg.Name, new UnitRule("V", "mV", 1000, Rule: "V->mV: v*1000"));
    }

    private static UnitRule Same(string alias, string canonical) => new(alias, canonical, 1);
}
