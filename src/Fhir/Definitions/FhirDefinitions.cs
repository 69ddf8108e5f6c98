using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PatientStream.Fhir.Definitions;

/// <summary>
/// The FHIR R4 definitions the server runs on, loaded once from the generated, embedded NDJSON
/// (tools/FhirGen writes it from the official definitions; nothing outside the assembly is read).
/// </summary>
public sealed class FhirDefinitions
{
    private const string ResourceName = "PatientStream.Fhir.r4-definitions.ndjson";
    private static readonly Lazy<FhirDefinitions> Instance = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, TypeDefinition> _types = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PrimitiveDefinition> _primitives = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ElementDefinition>> _childrenByParent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ElementDefinition> _elementsByPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FrozenSet<string>> _valueSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, SearchParameterDefinition>> _search = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _patientCompartment = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FrozenDictionary<string, ElementMatch>> _propertyMaps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FrozenDictionary<string, SearchParameterDefinition>> _searchByType = new(StringComparer.Ordinal);
    private FrozenSet<string> _resourceTypes = FrozenSet<string>.Empty;

    private FhirDefinitions()
    {
    }

    public static FhirDefinitions R4 => Instance.Value;

    /// <summary>Concrete (non-abstract) resource type names.</summary>
    public IReadOnlySet<string> ResourceTypes => _resourceTypes;

    public bool IsResourceType(string name) => _resourceTypes.Contains(name);

    public TypeDefinition? Type(string name) => _types.GetValueOrDefault(name);

    public PrimitiveDefinition? Primitive(string name) => _primitives.GetValueOrDefault(name);

    public ElementDefinition? Element(string path) => _elementsByPath.GetValueOrDefault(path);

    /// <summary>Codes (<c>system|code</c>) of a required value set, or null when it cannot be enumerated.</summary>
    public IReadOnlySet<string>? ValueSetCodes(string url) => _valueSets.GetValueOrDefault(url);

    public IReadOnlyList<ElementDefinition> Children(string parentPath) =>
        _childrenByParent.TryGetValue(parentPath, out var list) ? list : [];

    /// <summary>The JSON property names allowed below an element path (choice elements expanded per type).</summary>
    public FrozenDictionary<string, ElementMatch> PropertyMap(string parentPath) =>
        _propertyMaps.GetOrAdd(parentPath, p =>
        {
            var map = new Dictionary<string, ElementMatch>(StringComparer.Ordinal);
            foreach (var e in Children(p))
            {
                if (e.IsChoice)
                {
                    foreach (var t in e.Types)
                    {
                        map[e.Name + char.ToUpperInvariant(t[0]) + t[1..]] = new ElementMatch(e, t);
                    }
                }
                else
                {
                    map[e.Name] = new ElementMatch(e, e.Types.Count > 0 ? e.Types[0] : string.Empty);
                }
            }

            return map.ToFrozenDictionary(StringComparer.Ordinal);
        });

    /// <summary>All search parameters of a resource type, including those defined on Resource and DomainResource.</summary>
    public FrozenDictionary<string, SearchParameterDefinition> SearchParameters(string resourceType) =>
        _searchByType.GetOrAdd(resourceType, t =>
        {
            var merged = new Dictionary<string, SearchParameterDefinition>(StringComparer.Ordinal);
            foreach (var source in new[] { "Resource", "DomainResource", t })
            {
                if (!_search.TryGetValue(source, out var byName))
                {
                    continue;
                }

                foreach (var (name, sp) in byName)
                {
                    // Paths on Resource/DomainResource apply to every type: rebase them onto the concrete type.
                    merged[name] = source == t ? sp : sp with { Paths = sp.Paths.Select(p => t + p[p.IndexOf('.', StringComparison.Ordinal)..]).ToList() };
                }
            }

            return merged.ToFrozenDictionary(StringComparer.Ordinal);
        });

    /// <summary>Search parameters that place a resource type in the patient compartment (empty when it is not in it).</summary>
    public IReadOnlyList<string> PatientCompartmentParameters(string resourceType) =>
        _patientCompartment.TryGetValue(resourceType, out var ps) ? ps : [];

    public IEnumerable<string> PatientCompartmentTypes => _patientCompartment.Keys;

    private static FhirDefinitions Load()
    {
        using var stream = typeof(FhirDefinitions).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded definitions '{ResourceName}' are missing from the assembly.");
        using var reader = new StreamReader(stream);
        var defs = new FhirDefinitions();
        var resourceTypes = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            switch (root.GetProperty("kind").GetString())
            {
                case "primitive":
                    defs.AddPrimitive(root);
                    break;
                case "type":
                    var type = defs.AddType(root);
                    if (type.IsResource && !type.IsAbstract)
                    {
                        resourceTypes.Add(type.Name);
                    }

                    break;
                case "valueset":
                    defs._valueSets[root.GetProperty("url").GetString()!] =
                        root.GetProperty("codes").EnumerateArray().Select(c => c.GetString()!).ToFrozenSet(StringComparer.Ordinal);
                    break;
                case "search":
                    defs.AddSearch(root);
                    break;
                case "compartment":
                    defs._patientCompartment[root.GetProperty("resource").GetString()!] =
                        root.GetProperty("params").EnumerateArray().Select(p => p.GetString()!).ToList();
                    break;
                default:
                    break;
            }
        }

        defs._resourceTypes = resourceTypes.ToFrozenSet(StringComparer.Ordinal);
        return defs;
    }

    private void AddPrimitive(JsonElement root)
    {
        var name = root.GetProperty("name").GetString()!;
        var kind = root.GetProperty("json").GetString() switch
        {
            "number" => PrimitiveJsonKind.Number,
            "boolean" => PrimitiveJsonKind.Boolean,
            _ => PrimitiveJsonKind.String,
        };
        Regex? pattern = root.TryGetProperty("regex", out var r)
            ? new Regex("^(?:" + r.GetString() + ")$", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1))
            : null;
        _primitives[name] = new PrimitiveDefinition(name, kind, pattern);
    }

    private TypeDefinition AddType(JsonElement root)
    {
        var type = new TypeDefinition(
            root.GetProperty("name").GetString()!,
            root.GetProperty("category").GetString()!,
            root.GetProperty("abstract").GetBoolean(),
            root.TryGetProperty("base", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null);
        _types[type.Name] = type;
        foreach (var el in root.GetProperty("elements").EnumerateArray())
        {
            var path = el.GetProperty("p").GetString()!;
            var lastDot = path.LastIndexOf('.');
            var name = path[(lastDot + 1)..];
            if (name.EndsWith("[x]", StringComparison.Ordinal))
            {
                name = name[..^3];
            }

            var element = new ElementDefinition(
                path,
                name,
                el.GetProperty("min").GetInt32(),
                el.GetProperty("max").GetString()!,
                el.TryGetProperty("t", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [],
                el.TryGetProperty("b", out var vs) ? vs.GetString() : null,
                el.TryGetProperty("r", out var targets) ? targets.EnumerateArray().Select(x => x.GetString()!).ToList() : [],
                el.TryGetProperty("cr", out var cr) ? cr.GetString() : null,
                el.TryGetProperty("s", out var s) && s.GetBoolean());
            _elementsByPath[path] = element;
            var parent = path[..lastDot];
            if (!_childrenByParent.TryGetValue(parent, out var list))
            {
                list = [];
                _childrenByParent[parent] = list;
            }

            list.Add(element);
        }

        return type;
    }

    private void AddSearch(JsonElement root)
    {
        var resource = root.GetProperty("resource").GetString()!;
        var type = Enum.TryParse<SearchParamType>(root.GetProperty("type").GetString(), ignoreCase: true, out var t) ? t : SearchParamType.Special;
        var sp = new SearchParameterDefinition(
            root.GetProperty("name").GetString()!,
            type,
            root.GetProperty("indexed").GetBoolean(),
            root.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!).ToList(),
            root.GetProperty("targets").EnumerateArray().Select(p => p.GetString()!).ToList());
        if (!_search.TryGetValue(resource, out var byName))
        {
            byName = new Dictionary<string, SearchParameterDefinition>(StringComparer.Ordinal);
            _search[resource] = byName;
        }

        byName[sp.Name] = sp;
    }
}
