using System.Globalization;
using PatientStream.Ingest.Cleaning;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PatientStream.Ingest.Mapping;

/// <summary>The sample types, unit conversions, payload fields and calculated measurements a mapping file declares.</summary>
public sealed record SampleCatalogue(IReadOnlyDictionary<string, SampleType> Types, UnitTable Units)
{
    /// <summary>Payload fields that become measurements through an expression, by field name.</summary>
    public IReadOnlyDictionary<string, FieldMapping> Fields { get; init; } = new Dictionary<string, FieldMapping>();

    /// <summary>Measurements calculated from others of the same batch and instant.</summary>
    public IReadOnlyList<CalculatedMeasurement> Calculations { get; init; } = [];
}

/// <summary>
/// A mapping file that cannot be used; <see cref="Line"/> points at the offending node (1-based, 0 when unknown) and
/// <see cref="Column"/>, for expression errors, at the offending character (1-based, 0 when not known).
/// </summary>
public sealed class MappingException(string source, int line, string problem, int column = 0)
    : Exception(column > 0 ? $"{source}:{line}:{column}: {problem}" : $"{source}:{line}: {problem}")
{
    public string File { get; } = source;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Problem { get; } = problem;
}

/// <summary>
/// Loads a declarative mapping (YAML, or JSON, which is YAML too): sample types with codes, canonical units, accepted
/// device units with their conversions, plausibility ranges and FHIR shape. Everything is checked at load, so a broken
/// mapping stops start-up with the failing line instead of failing mid-stream.
/// </summary>
public static class MappingLoader
{
    private const string ResourceName = "PatientStream.Ingest.default-mapping.yaml";
    private static readonly string[] s_kinds = ["scalar", "waveform"];
    private static readonly string[] s_values = ["quantity", "sampled-data", "component"];
    private static readonly string[] s_periods = ["none", "1m", "5m", "1h", "1d"];
    private static readonly string[] s_summaries = ["mean", "sum"];
    private const int MaxInputs = 16;

    private static readonly Lazy<SampleCatalogue> s_default = new(LoadDefault);

    /// <summary>The mapping shipped with the stage: the sample types of DESIGN.md (parsed once).</summary>
    public static SampleCatalogue Default() => s_default.Value;

    private static SampleCatalogue LoadDefault()
    {
        using var stream = typeof(MappingLoader).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "default-mapping.yaml");
    }

    public static SampleCatalogue Load(string path) => Parse(File.ReadAllText(path), path);

    public static SampleCatalogue Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new MappingException(source, (int)e.Start.Line, e.Message);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way on some malformed flow mappings, without a position.
            throw new MappingException(source, 0, $"malformed YAML: {e.Message}");
        }
        if (yaml.Documents.Count != 1 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new MappingException(source, 1, "a mapping file is one document with 'version' and 'types'");
        }
        var context = new MappingContext(source);
        var version = context.Scalar(root, "version", required: true)!;
        if (version.Value != "1")
        {
            throw context.Fail(version, $"version '{version.Value}' is not supported; this stage reads version 1");
        }
        if (MappingContext.Child(root, "types") is not YamlSequenceNode list || list.Children.Count == 0)
        {
            throw context.Fail(root, "'types' must be a non-empty list");
        }
        var types = new Dictionary<string, SampleType>(StringComparer.Ordinal);
        var rules = new List<(string, UnitRule)>();
        var calculated = new List<(SampleType Type, YamlMappingNode Node)>();
        foreach (var node in list.Children)
        {
            var (type, typeRules) = ReadType(context, node);
            if (!types.TryAdd(type.Name, type))
            {
                throw context.Fail(node, $"sample type '{type.Name}' is declared twice");
            }
            rules.AddRange(typeRules.Select(r => (type.Name, r)));
            if (MappingContext.Child((YamlMappingNode)node, "calculated") is { } calculation)
            {
                calculated.Add((type, calculation as YamlMappingNode ?? throw context.Fail(calculation, "'calculated' is a mapping with inputs and expression")));
            }
        }
        // Inputs may name types declared further down the file, so calculations are read once every type is known.
        var calculatedNames = calculated.Select(c => c.Type.Name).ToHashSet(StringComparer.Ordinal);
        var calculations = calculated.Select(c => ReadCalculation(context, c.Type, c.Node, types, calculatedNames)).ToList();
        return new SampleCatalogue(types, new UnitTable(rules))
        {
            Calculations = calculations,
            Fields = ReadFields(context, root, types),
        };
    }

    private static CalculatedMeasurement ReadCalculation(MappingContext context, SampleType type, YamlMappingNode node,
        Dictionary<string, SampleType> types, HashSet<string> calculatedNames)
    {
        if (type.Kind != SampleKind.Scalar)
        {
            throw context.Fail(node, $"calculated type '{type.Name}' must be a scalar");
        }
        if (MappingContext.Child(node, "inputs") is not YamlMappingNode inputs || inputs.Children.Count == 0)
        {
            throw context.Fail(node, $"calculated type '{type.Name}' needs 'inputs': a mapping of names to measured sample types");
        }
        if (inputs.Children.Count > MaxInputs)
        {
            throw context.Fail(inputs, $"a calculation takes at most {MaxInputs} inputs");
        }
        var names = new List<string>();
        var inputTypes = new List<string>();
        foreach (var (key, value) in inputs.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw context.Fail(key, $"input name '{name}' must be letters, digits and '_', starting with a letter");
            }
            var inputType = (value as YamlScalarNode)?.Value ?? "";
            if (!types.TryGetValue(inputType, out var input))
            {
                throw context.Fail(value, $"input '{name}' names '{inputType}', which is not a declared sample type");
            }
            // Calculations read measured values only: no chains, so no order between calculations and no cycles.
            if (input.Kind != SampleKind.Scalar || calculatedNames.Contains(input.Name))
            {
                throw context.Fail(value, $"input '{name}' must be a measured scalar type, not a waveform or another calculated type");
            }
            names.Add(name);
            inputTypes.Add(inputType);
        }
        return new CalculatedMeasurement(type, inputTypes, context.Expression(node, "expression", names));
    }

    private static Dictionary<string, FieldMapping> ReadFields(MappingContext context, YamlMappingNode root, Dictionary<string, SampleType> types)
    {
        var fields = new Dictionary<string, FieldMapping>(StringComparer.Ordinal);
        var node = MappingContext.Child(root, "fields");
        if (node is null)
        {
            return fields;
        }
        if (node is not YamlSequenceNode list)
        {
            throw context.Fail(node, "'fields' must be a list of field mappings");
        }
        foreach (var entry in list.Children)
        {
            if (entry is not YamlMappingNode map)
            {
                throw context.Fail(entry, "each field is a mapping with field, measurement, expression and optional unit");
            }
            var field = context.Text(map, "field")!;
            if (types.ContainsKey(field))
            {
                throw context.Fail(map, $"field '{field}' is already a sample type; a field maps a name devices send that the types do not declare");
            }
            var target = context.Text(map, "measurement")!;
            if (!types.TryGetValue(target, out var type) || type.Kind != SampleKind.Scalar)
            {
                throw context.Fail(map, $"field '{field}' maps to '{target}', which is not a declared scalar sample type");
            }
            var mapping = new FieldMapping(field, context.Text(map, "unit", required: false), type, context.Expression(map, "expression", ["v"]));
            if (!fields.TryAdd(field, mapping))
            {
                throw context.Fail(map, $"field '{field}' is mapped twice");
            }
        }
        return fields;
    }

    private static (SampleType, List<UnitRule>) ReadType(MappingContext context, YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            throw context.Fail(node, "each type is a mapping with name, code, unit, plausible and units");
        }
        var name = context.Text(map, "name")!;
        if (MappingContext.Child(map, "code") is not YamlMappingNode code)
        {
            throw context.Fail(map, $"type '{name}' needs 'code' with system, code and display");
        }
        var kind = context.Choice(map, "kind", s_kinds) ?? "scalar";
        var unit = context.Text(map, "unit")!;
        if (MappingContext.Child(map, "plausible") is not YamlMappingNode plausible)
        {
            throw context.Fail(map, $"type '{name}' needs 'plausible' with min and max");
        }
        var min = context.Number(plausible, "min")!.Value;
        var max = context.Number(plausible, "max")!.Value;
        if (min > max)
        {
            throw context.Fail(plausible, $"plausible min {min} is above max {max}");
        }
        var fhir = MappingContext.Child(map, "fhir") as YamlMappingNode;
        var panel = fhir is null ? null : context.Text(fhir, "panel", required: false);
        var value = (fhir is null ? null : context.Choice(fhir, "value", s_values))
            ?? (kind == "waveform" ? "sampled-data" : panel is not null ? "component" : "quantity");
        var period = Period(fhir is null ? null : context.Choice(fhir, "period", s_periods));
        var summary = fhir is null ? null : context.Choice(fhir, "summary", s_summaries);
        if (period is not null && (kind == "waveform" || panel is not null))
        {
            throw context.Fail(fhir!, $"type '{name}' cannot be summarised per period: only plain scalar types can");
        }
        if ((value == "sampled-data") != (kind == "waveform") || (value == "component") != (panel is not null))
        {
            throw context.Fail(fhir ?? (YamlNode)map, $"FHIR value '{value}' does not fit a {kind} type{(panel is null ? "" : $" in panel {panel}")}");
        }
        var type = new SampleType(name, context.Text(code, "code")!, context.Text(code, "display")!, unit,
            kind == "waveform" ? SampleKind.Waveform : SampleKind.Scalar, min, max, context.Text(map, "category", required: false) ?? "vital-signs")
        {
            CodeSystem = context.Text(code, "system")!,
            PanelCode = panel,
            Period = period,
            Summary = summary == "sum" ? SummaryStatistic.Sum : SummaryStatistic.Mean,
        };
        var units = MappingContext.Child(map, "units") as YamlSequenceNode;
        if (units is null && MappingContext.Child(map, "calculated") is not null)
        {
            // A calculated type devices never send needs no unit list; its canonical unit is all it accepts.
            return (type, [new UnitRule(unit, unit, 1)]);
        }
        if (units is null || units.Children.Count == 0)
        {
            throw context.Fail(map, $"type '{name}' needs a non-empty 'units' list (at least its canonical unit)");
        }
        var rules = new List<UnitRule>();
        foreach (var entry in units.Children)
        {
            if (entry is not YamlMappingNode rule)
            {
                throw context.Fail(entry, "each unit is a mapping with 'from' and optional scale, offset, preOffset, rule");
            }
            var from = context.Text(rule, "from")!;
            if (rules.Any(r => r.FromUnit == from))
            {
                throw context.Fail(rule, $"unit '{from}' is listed twice for '{name}'");
            }
            var scale = context.Number(rule, "scale", required: false) ?? 1;
            if (scale == 0)
            {
                throw context.Fail(rule, $"unit '{from}' has scale 0");
            }
            rules.Add(new UnitRule(from, unit, scale, context.Number(rule, "offset", required: false) ?? 0,
                context.Number(rule, "preOffset", required: false) ?? 0, context.Text(rule, "rule", required: false)));
        }
        if (!rules.Any(r => r.FromUnit == unit && r.IsIdentity))
        {
            throw context.Fail(units, $"type '{name}' must accept its canonical unit '{unit}' unchanged");
        }
        return (type, rules);
    }

    private static TimeSpan? Period(string? period) => period switch
    {
        "1m" => TimeSpan.FromMinutes(1),
        "5m" => TimeSpan.FromMinutes(5),
        "1h" => TimeSpan.FromHours(1),
        "1d" => TimeSpan.FromDays(1),
        _ => null,
    };
}
