using System.Globalization;
using PatientStream.Ingest.Cleaning;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PatientStream.Ingest.Mapping;

/// <summary>The sample types and unit conversions a mapping file declares.</summary>
public sealed record SampleCatalogue(IReadOnlyDictionary<string, SampleType> Types, UnitTable Units);

/// <summary>A mapping file that cannot be used; <see cref="Line"/> points at the offending node (1-based, 0 when unknown).</summary>
public sealed class MappingException(string source, int line, string problem)
    : Exception($"{source}:{line}: {problem}")
{
    public string File { get; } = source;
    public int Line { get; } = line;
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
    private static readonly string[] s_periods = ["none"];

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
        var context = new Context(source);
        var version = context.Scalar(root, "version", required: true)!;
        if (version.Value != "1")
        {
            throw context.Fail(version, $"version '{version.Value}' is not supported; this stage reads version 1");
        }
        if (Context.Child(root, "types") is not YamlSequenceNode list || list.Children.Count == 0)
        {
            throw context.Fail(root, "'types' must be a non-empty list");
        }
        var types = new Dictionary<string, SampleType>(StringComparer.Ordinal);
        var rules = new List<(string, UnitRule)>();
        foreach (var node in list.Children)
        {
            var (type, typeRules) = ReadType(context, node);
            if (!types.TryAdd(type.Name, type))
            {
                throw context.Fail(node, $"sample type '{type.Name}' is declared twice");
            }
            rules.AddRange(typeRules.Select(r => (type.Name, r)));
        }
        return new SampleCatalogue(types, new UnitTable(rules));
    }

    private static (SampleType, List<UnitRule>) ReadType(Context context, YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            throw context.Fail(node, "each type is a mapping with name, code, unit, plausible and units");
        }
        var name = context.Text(map, "name")!;
        if (Context.Child(map, "code") is not YamlMappingNode code)
        {
            throw context.Fail(map, $"type '{name}' needs 'code' with system, code and display");
        }
        var kind = context.Choice(map, "kind", s_kinds) ?? "scalar";
        var unit = context.Text(map, "unit")!;
        if (Context.Child(map, "plausible") is not YamlMappingNode plausible)
        {
            throw context.Fail(map, $"type '{name}' needs 'plausible' with min and max");
        }
        var min = context.Number(plausible, "min")!.Value;
        var max = context.Number(plausible, "max")!.Value;
        if (min > max)
        {
            throw context.Fail(plausible, $"plausible min {min} is above max {max}");
        }
        var fhir = Context.Child(map, "fhir") as YamlMappingNode;
        var panel = fhir is null ? null : context.Text(fhir, "panel", required: false);
        var value = (fhir is null ? null : context.Choice(fhir, "value", s_values))
            ?? (kind == "waveform" ? "sampled-data" : panel is not null ? "component" : "quantity");
        _ = fhir is null ? null : context.Choice(fhir, "period", s_periods);
        if ((value == "sampled-data") != (kind == "waveform") || (value == "component") != (panel is not null))
        {
            throw context.Fail(fhir ?? (YamlNode)map, $"FHIR value '{value}' does not fit a {kind} type{(panel is null ? "" : $" in panel {panel}")}");
        }
        var type = new SampleType(name, context.Text(code, "code")!, context.Text(code, "display")!, unit,
            kind == "waveform" ? SampleKind.Waveform : SampleKind.Scalar, min, max, context.Text(map, "category", required: false) ?? "vital-signs")
        {
            CodeSystem = context.Text(code, "system")!,
            PanelCode = panel,
        };
        if (Context.Child(map, "units") is not YamlSequenceNode units || units.Children.Count == 0)
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

    private sealed class Context(string source)
    {
        public MappingException Fail(YamlNode node, string problem) => new(source, (int)node.Start.Line, problem);

        public static YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

        public YamlScalarNode? Scalar(YamlMappingNode map, string key, bool required)
        {
            var child = Child(map, key);
            if (child is null)
            {
                return required ? throw Fail(map, $"'{key}' is missing") : null;
            }
            return child is YamlScalarNode { Value: { Length: > 0 } } scalar ? scalar : throw Fail(child, $"'{key}' must be a non-empty value");
        }

        public string? Text(YamlMappingNode map, string key, bool required = true) => Scalar(map, key, required)?.Value;

        public double? Number(YamlMappingNode map, string key, bool required = true)
        {
            var scalar = Scalar(map, key, required);
            if (scalar is null)
            {
                return null;
            }
            return double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                ? number
                : throw Fail(scalar, $"'{key}' must be a finite number, not '{scalar.Value}'");
        }

        public string? Choice(YamlMappingNode map, string key, string[] allowed)
        {
            var scalar = Scalar(map, key, required: false);
            if (scalar is null)
            {
                return null;
            }
            return allowed.Contains(scalar.Value) ? scalar.Value : throw Fail(scalar, $"'{key}' must be one of {string.Join(", ", allowed)}, not '{scalar.Value}'");
        }
    }
}
