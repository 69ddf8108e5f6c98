namespace PatientStream.Ingest.Clinical;

/// <summary>
/// Stable reasons of clinical records sent to the dead-letter topic. A dead letter's reason starts with one of these,
/// followed by ": " and a description; operators and tests match on the code only.
/// </summary>
public static class ClinicalRejectCodes
{
    /// <summary>The value is not JSON.</summary>
    public const string Unparseable = "clinical.unparseable";

    /// <summary>The JSON is not a FHIR Bundle.</summary>
    public const string NotABundle = "clinical.not-a-bundle";

    /// <summary>A Bundle type other than collection, transaction, batch or message (e.g. a searchset or a response).</summary>
    public const string BundleType = "clinical.bundle-type";

    /// <summary>More entries than <see cref="ClinicalOptions.MaxEntries"/>.</summary>
    public const string TooLarge = "clinical.too-large";

    /// <summary>An entry that is not an object, or a resource without resourceType.</summary>
    public const string InvalidEntry = "clinical.invalid-entry";

    /// <summary>Neither a Patient resource nor any reference to a patient.</summary>
    public const string NoPatient = "clinical.no-patient";

    /// <summary>The patient is named, but by no identifier of the configured MRN system.</summary>
    public const string NoMrn = "clinical.no-mrn";

    /// <summary>The record speaks of more than one patient; a record carries one patient's data.</summary>
    public const string SeveralPatients = "clinical.several-patients";

    /// <summary>No Patient carries the MRN and <see cref="ClinicalOptions.CreateMissingPatients"/> is off.</summary>
    public const string UnknownPatient = "clinical.unknown-patient";

    /// <summary>More than one Patient in the store carries the MRN: merging would pick one at random.</summary>
    public const string AmbiguousPatient = "clinical.ambiguous-patient";

    /// <summary>A resource with neither an id, an identifier nor a fullUrl: a replay could not find it again.</summary>
    public const string NoResourceIdentity = "clinical.no-resource-identity";

    /// <summary>A urn:uuid/urn:oid reference to no entry of the Bundle.</summary>
    public const string UnresolvedReference = "clinical.unresolved-reference";

    /// <summary>The FHIR store refused the merged resources (validation, reference target types, duplicates).</summary>
    public const string Invalid = "clinical.invalid";

    public static string Reason(string code, string detail) => $"{code}: {detail}";
}
