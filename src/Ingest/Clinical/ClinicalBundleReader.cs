using System.Text.Json;
using System.Text.Json.Nodes;

namespace PatientStream.Ingest.Clinical;

/// <summary>One resource of an EHR record to merge, as the EHR named it.</summary>
internal sealed record ClinicalEntry(string Type, string? Id, string? FullUrl, JsonObject Resource);

/// <summary>A readable EHR record: where it comes from, whom it is about, and what to merge.</summary>
/// <param name="Source">The EHR's identity (the Bundle's meta.source without fragment, or the configured default).</param>
/// <param name="Mrn">The patient's medical record number in the configured system.</param>
/// <param name="Patient">The EHR's Patient resource, when the record carries one.</param>
/// <param name="PatientAliases">Every way the record's references name that Patient (fullUrl, Patient/id).</param>
/// <param name="Skipped">Entries not merged: types outside <see cref="ClinicalBundleReader.MergedTypes"/>, entries without resource.</param>
internal sealed record ClinicalRecord(string Source, string Mrn, JsonObject? Patient, IReadOnlySet<string> PatientAliases,
    IReadOnlyList<ClinicalEntry> Entries, int Skipped);

/// <summary>Why a record is refused: a stable <see cref="ClinicalRejectCodes"/> code and a description.</summary>
public sealed record ClinicalRejection(string Code, string Detail)
{
    public string Reason => ClinicalRejectCodes.Reason(Code, Detail);
}

/// <summary>Either a record to merge or the reason it is refused.</summary>
internal sealed record ClinicalReadResult(ClinicalRecord? Record, ClinicalRejection? Rejection)
{
    public static ClinicalReadResult Refuse(string code, string detail) => new(null, new ClinicalRejection(code, detail));
}

/// <summary>
/// Reads an EHR Bundle (collection, transaction, batch or message) and establishes which one patient it is about:
/// by the MRN of its Patient resource, or, without one, by the MRN in its logical patient references.
/// </summary>
internal static class ClinicalBundleReader
{
    /// <summary>Resource types merged into the patient record; other entries are skipped and counted.</summary>
    public static readonly IReadOnlySet<string> MergedTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "Patient", "Encounter", "Condition", "Observation", "MedicationStatement", "AllergyIntolerance", "Procedure",
        "Medication", "Practitioner", "PractitionerRole", "Organization", "Location",
    };

    private static readonly HashSet<string> BundleTypes = new(StringComparer.Ordinal) { "collection", "transaction", "batch", "message" };

    public static ClinicalReadResult Read(byte[] value, ClinicalOptions options)
    {
        ArgumentNullException.ThrowIfNull(value);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(value);
        }
        catch (JsonException e)
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.Unparseable, $"not JSON ({e.Message})");
        }
        return node is JsonObject bundle
            ? Read(bundle, options)
            : ClinicalReadResult.Refuse(ClinicalRejectCodes.NotABundle, "the value is not a JSON object");
    }

    public static ClinicalReadResult Read(JsonObject bundle, ClinicalOptions options)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(options);
        if (ClinicalReferences.Text(bundle["resourceType"]) != "Bundle")
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.NotABundle, $"resourceType is '{ClinicalReferences.Text(bundle["resourceType"])}', not Bundle");
        }
        var type = ClinicalReferences.Text(bundle["type"]);
        if (type is null || !BundleTypes.Contains(type))
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.BundleType, $"Bundle type '{type}' is not collection, transaction, batch or message");
        }
        var rawEntries = bundle["entry"] as JsonArray ?? [];
        if (rawEntries.Count > options.MaxEntries)
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.TooLarge, $"{rawEntries.Count} entries, at most {options.MaxEntries} accepted");
        }
        var entries = new List<ClinicalEntry>();
        var skipped = 0;
        for (var i = 0; i < rawEntries.Count; i++)
        {
            if (rawEntries[i] is not JsonObject entry)
            {
                return ClinicalReadResult.Refuse(ClinicalRejectCodes.InvalidEntry, $"Bundle.entry[{i}] is not an object");
            }
            if (entry["resource"] is not JsonObject resource)
            {
                // A DELETE in an EHR transaction, or a bare request: deletions are not propagated.
                skipped++;
                continue;
            }
            if (ClinicalReferences.Text(resource["resourceType"]) is not { Length: > 0 } resourceType)
            {
                return ClinicalReadResult.Refuse(ClinicalRejectCodes.InvalidEntry, $"Bundle.entry[{i}].resource has no resourceType");
            }
            if (!MergedTypes.Contains(resourceType))
            {
                skipped++;
                continue;
            }
            var id = ClinicalReferences.Text(resource["id"]);
            var fullUrl = ClinicalReferences.Text(entry["fullUrl"]);
            if (id is null && fullUrl is null && FirstIdentifier(resource) is null)
            {
                return ClinicalReadResult.Refuse(ClinicalRejectCodes.NoResourceIdentity, $"Bundle.entry[{i}] ({resourceType}) has no id, identifier or fullUrl");
            }
            entries.Add(new ClinicalEntry(resourceType, id, fullUrl, resource));
        }
        return Identify(SourceOf(bundle, options), entries, skipped, options.MrnSystem);
    }

    /// <summary>The first identifier (system|value) of a resource: its identity when the EHR sent it without an id.</summary>
    public static string? FirstIdentifier(JsonObject resource) =>
        resource["identifier"] is JsonArray { Count: > 0 } identifiers && identifiers[0] is JsonObject first
            && ClinicalReferences.Text(first["value"]) is { } value
            ? $"{ClinicalReferences.Text(first["system"])}|{value}"
            : null;

    private static string SourceOf(JsonObject bundle, ClinicalOptions options)
    {
        var source = ClinicalReferences.Text((bundle["meta"] as JsonObject)?["source"]);
        if (!ClinicalOptionsValidator.IsAbsoluteUri(source))
        {
            return options.DefaultSource;
        }
        // meta.source may name the message as a fragment; ids derived from it must stay the same across messages.
        var hash = source!.IndexOf('#', StringComparison.Ordinal);
        return hash > 0 ? source[..hash] : source;
    }

    private static ClinicalReadResult Identify(string source, List<ClinicalEntry> entries, int skipped, string mrnSystem)
    {
        var patients = entries.Where(e => e.Type == "Patient").ToList();
        if (patients.Count > 1)
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.SeveralPatients, $"{patients.Count} Patient resources in one record");
        }
        var patient = patients.Count == 1 ? patients[0] : null;
        var aliases = new HashSet<string>(StringComparer.Ordinal);
        if (patient is not null)
        {
            AddAliases(aliases, patient);
        }
        var literals = new HashSet<string>(StringComparer.Ordinal);
        var mrns = new HashSet<string>(StringComparer.Ordinal);
        var references = 0;
        // The Patient's own references (link, generalPractitioner) do not name the record's patient.
        foreach (var reference in entries.Where(e => e.Type != "Patient").SelectMany(e => ClinicalReferences.All(e.Resource)))
        {
            if (!TargetsPatient(reference, aliases, mrnSystem))
            {
                continue;
            }
            references++;
            if (ClinicalReferences.LogicalIdentifier(reference, mrnSystem) is { } mrn)
            {
                mrns.Add(mrn);
            }
            if (ClinicalReferences.ReferenceText(reference) is { } text && !aliases.Contains(text))
            {
                var normalized = ClinicalReferences.TryTarget(text, out var type, out var id) ? $"{type}/{id}" : text;
                if (!aliases.Contains(normalized))
                {
                    literals.Add(normalized);
                }
            }
        }
        if (patient is not null)
        {
            if (literals.Count > 0)
            {
                return ClinicalReadResult.Refuse(ClinicalRejectCodes.SeveralPatients, "a reference names a patient other than the record's Patient");
            }
            if (Mrn(patient.Resource, mrnSystem) is not { } patientMrn)
            {
                return ClinicalReadResult.Refuse(ClinicalRejectCodes.NoMrn, $"the Patient has no identifier in {mrnSystem}");
            }
            if (mrns.Any(m => m != patientMrn))
            {
                return ClinicalReadResult.Refuse(ClinicalRejectCodes.SeveralPatients, "a reference carries an MRN other than the Patient's");
            }
            return new ClinicalReadResult(new ClinicalRecord(source, patientMrn, patient.Resource, aliases, entries, skipped), null);
        }
        if (references == 0)
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.NoPatient, "no Patient resource and no reference to a patient");
        }
        if (literals.Count > 1 || mrns.Count > 1)
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.SeveralPatients, "references name more than one patient");
        }
        if (mrns.Count == 0)
        {
            return ClinicalReadResult.Refuse(ClinicalRejectCodes.NoMrn, $"no Patient resource and no patient reference with an identifier in {mrnSystem}");
        }
        aliases.UnionWith(literals);
        return new ClinicalReadResult(new ClinicalRecord(source, mrns.Single(), null, aliases, entries, skipped), null);
    }

    /// <summary>The Patient's MRN: its current (not <c>old</c>) identifier in <paramref name="mrnSystem"/>.</summary>
    public static string? Mrn(JsonObject patient, string mrnSystem) =>
        (patient["identifier"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(i => ClinicalReferences.Text(i["system"]) == mrnSystem && ClinicalReferences.Text(i["use"]) != "old")
            .Select(i => ClinicalReferences.Text(i["value"]))
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>A reference to a patient: by a Patient literal, the record's Patient entry, type, or an MRN identifier.</summary>
    public static bool TargetsPatient(JsonObject reference, IReadOnlySet<string> aliases, string mrnSystem)
    {
        if (ClinicalReferences.ReferenceText(reference) is { } text
            && (aliases.Contains(text) || (ClinicalReferences.TryTarget(text, out var type, out _) && type == "Patient")))
        {
            return true;
        }
        return ClinicalReferences.Text(reference["type"]) == "Patient" || ClinicalReferences.LogicalIdentifier(reference, mrnSystem) is not null;
    }

    /// <summary>The names a resource goes by inside its Bundle: fullUrl, Type/id, and the Type/id an absolute fullUrl ends in.</summary>
    public static IEnumerable<string> Aliases(ClinicalEntry entry)
    {
        if (entry.FullUrl is not null)
        {
            yield return entry.FullUrl;
            if (ClinicalReferences.TryTarget(entry.FullUrl, out var type, out var id))
            {
                yield return $"{type}/{id}";
            }
        }
        if (entry.Id is not null)
        {
            yield return $"{entry.Type}/{entry.Id}";
        }
    }

    private static void AddAliases(HashSet<string> aliases, ClinicalEntry entry)
    {
        foreach (var alias in Aliases(entry))
        {
            aliases.Add(alias);
        }
    }
}
