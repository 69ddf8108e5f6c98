using System.Text.Json.Nodes;
using PatientStream.Ingest.Fhir;

namespace PatientStream.Ingest.Clinical;

/// <summary>The patient a record is merged onto: an existing Patient (merged at its version) or one to create.</summary>
internal sealed record PatientTarget(string Id, PatientMatch? Existing);

/// <summary>
/// Turns a read EHR record into one FHIR transaction: every resource gets an id derived from (source, type, EHR id or
/// identifier), every reference to the record's patient points at the resolved Patient, intra-record references follow
/// the new ids, and clinic Observations are marked as such (meta.source and tag, performer, method, no device).
/// </summary>
internal static class ClinicalTransaction
{
    /// <summary>meta.tag system marking where a resource came from; clinical records carry code <see cref="EhrOrigin"/>.</summary>
    public const string OriginSystem = "urn:patientstream:origin";

    public const string EhrOrigin = "ehr";

    /// <summary>Patient elements the EHR does not overwrite: identity, versioning, and its own record links.</summary>
    private static readonly HashSet<string> KeptPatientElements = new(StringComparer.Ordinal) { "resourceType", "id", "meta", "identifier", "link" };

    /// <summary>The id the resource the EHR calls <paramref name="type"/>/<paramref name="key"/> gets here.</summary>
    public static string DerivedId(string source, string type, string key) => ObservationBuilder.DeterministicId("clinical", source, type, key);

    /// <summary>The id of a Patient created for an MRN nobody registered yet (the same on every instance and replay).</summary>
    public static string CreatedPatientId(string mrnSystem, string mrn) => ObservationBuilder.DeterministicId("patient", mrnSystem, mrn);

    public static (JsonObject? Bundle, ClinicalRejection? Rejection) Build(ClinicalRecord record, PatientTarget patient, ClinicalOptions options)
    {
        var ids = new List<(ClinicalEntry Entry, string Id)>();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in record.Entries.Where(e => e.Type != "Patient"))
        {
            var id = DerivedId(record.Source, entry.Type, IdentityKey(entry));
            ids.Add((entry, id));
            foreach (var alias in ClinicalBundleReader.Aliases(entry))
            {
                aliases[alias] = $"{entry.Type}/{id}";
            }
        }
        var resources = new List<(JsonObject Resource, string? IfMatch)>();
        if (PatientResource(record, patient, options) is { } patientResource)
        {
            if (Rewrite(patientResource, record, patient.Id, aliases, options) is { } rejection)
            {
                return (null, rejection);
            }
            resources.Add((patientResource, patient.Existing is null ? null : $"W/\"{patient.Existing.VersionId}\""));
        }
        foreach (var (entry, id) in ids)
        {
            var resource = (JsonObject)entry.Resource.DeepClone();
            if (Rewrite(resource, record, patient.Id, aliases, options) is { } rejection)
            {
                return (null, rejection);
            }
            resource["id"] = id;
            Mark(resource, record.Source);
            if (entry.Type == "Observation")
            {
                MarkClinicObservation(resource, options);
            }
            resources.Add((resource, null));
        }
        return (Transaction(resources), null);
    }

    private static string IdentityKey(ClinicalEntry entry) =>
        entry.Id is not null ? $"id:{entry.Id}"
        : ClinicalBundleReader.FirstIdentifier(entry.Resource) is { } identifier ? $"identifier:{identifier}"
        : $"fullUrl:{entry.FullUrl}";

    /// <summary>
    /// The Patient to write: the existing one with the EHR's demographics laid over it (identifiers added, never
    /// removed, so the devices' binding still finds it), or a new one. Null when there is nothing to write.
    /// </summary>
    private static JsonObject? PatientResource(ClinicalRecord record, PatientTarget patient, ClinicalOptions options)
    {
        var ehr = record.Patient;
        if (patient.Existing is { } existing)
        {
            if (ehr is null)
            {
                return null;
            }
            var merged = (JsonObject)existing.Resource.DeepClone();
            foreach (var (name, value) in ehr)
            {
                if (!KeptPatientElements.Contains(name))
                {
                    merged[name] = value?.DeepClone();
                }
            }
            merged["identifier"] = MergeIdentifiers(existing.Resource["identifier"] as JsonArray, ehr["identifier"] as JsonArray);
            Mark(merged, record.Source);
            return merged;
        }
        JsonObject created;
        if (ehr is null)
        {
            created = new JsonObject
            {
                ["resourceType"] = "Patient",
                ["identifier"] = new JsonArray(new JsonObject { ["use"] = "usual", ["system"] = options.MrnSystem, ["value"] = record.Mrn }),
            };
        }
        else
        {
            created = (JsonObject)ehr.DeepClone();
            created.Remove("link");
        }
        created["id"] = patient.Id;
        Mark(created, record.Source);
        return created;
    }

    private static JsonArray MergeIdentifiers(JsonArray? existing, JsonArray? incoming)
    {
        var merged = new JsonArray();
        var seen = new HashSet<(string?, string?)>();
        foreach (var identifier in (existing ?? []).Concat(incoming ?? []).OfType<JsonObject>())
        {
            if (seen.Add((ClinicalReferences.Text(identifier["system"]), ClinicalReferences.Text(identifier["value"]))))
            {
                merged.Add(identifier.DeepClone());
            }
        }
        return merged;
    }

    private static ClinicalRejection? Rewrite(JsonObject resource, ClinicalRecord record, string patientId, Dictionary<string, string> aliases,
        ClinicalOptions options)
    {
        foreach (var reference in ClinicalReferences.All(resource).ToList())
        {
            if (ClinicalBundleReader.TargetsPatient(reference, record.PatientAliases, options.MrnSystem))
            {
                reference["reference"] = $"Patient/{patientId}";
                continue;
            }
            if (ClinicalReferences.ReferenceText(reference) is not { } text || text.StartsWith('#'))
            {
                continue;
            }
            if (aliases.TryGetValue(text, out var target))
            {
                reference["reference"] = target;
            }
            else if (ClinicalReferences.IsUrn(text))
            {
                return new ClinicalRejection(ClinicalRejectCodes.UnresolvedReference, $"'{text}' names no entry of the record");
            }
            else if (!text.Contains("://", StringComparison.Ordinal) && ClinicalReferences.TryTarget(text, out var type, out var id))
            {
                // Not in this record: point where that resource lands when the EHR sends it.
                reference["reference"] = $"{type}/{DerivedId(record.Source, type, $"id:{id}")}";
            }
        }
        return null;
    }

    /// <summary>meta.source names the EHR and a tag marks the resource as clinical; the EHR's version stamps are dropped.</summary>
    private static void Mark(JsonObject resource, string source)
    {
        var meta = resource["meta"] as JsonObject ?? new JsonObject();
        meta.Remove("versionId");
        meta.Remove("lastUpdated");
        meta["source"] = source;
        var tags = meta["tag"] as JsonArray ?? [];
        if (!tags.OfType<JsonObject>().Any(t => ClinicalReferences.Text(t["system"]) == OriginSystem && ClinicalReferences.Text(t["code"]) == EhrOrigin))
        {
            tags.Add(new JsonObject { ["system"] = OriginSystem, ["code"] = EhrOrigin, ["display"] = "Electronic health record" });
        }
        meta["tag"] = tags;
        resource["meta"] = meta;
    }

    /// <summary>
    /// Device Observations carry <c>device</c>; clinic ones carry a performer and a method instead, so both can live in
    /// one patient record and a reader (or a search on device:missing) always tells them apart.
    /// </summary>
    private static void MarkClinicObservation(JsonObject observation, ClinicalOptions options)
    {
        observation.Remove("device");
        if (observation["performer"] is not JsonArray { Count: > 0 })
        {
            observation["performer"] = new JsonArray(new JsonObject { ["display"] = options.SourceDisplay });
        }
        if (observation["method"] is not JsonObject)
        {
            observation["method"] = new JsonObject { ["text"] = "Clinical measurement recorded in the EHR" };
        }
    }

    private static JsonObject Transaction(List<(JsonObject Resource, string? IfMatch)> resources)
    {
        var entries = new JsonArray();
        foreach (var (resource, ifMatch) in resources)
        {
            var url = $"{resource["resourceType"]!.GetValue<string>()}/{resource["id"]!.GetValue<string>()}";
            var request = new JsonObject { ["method"] = "PUT", ["url"] = url };
            if (ifMatch is not null)
            {
                request["ifMatch"] = ifMatch;
            }
            entries.Add(new JsonObject { ["fullUrl"] = url, ["resource"] = resource, ["request"] = request });
        }
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };
    }
}
