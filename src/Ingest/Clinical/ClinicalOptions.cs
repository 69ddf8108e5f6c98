using Microsoft.Extensions.Options;
using PatientStream.Kafka;

namespace PatientStream.Ingest.Clinical;

/// <summary>How EHR records on <c>ps.clinical.records</c> are merged into the FHIR store. Validated at start-up.</summary>
public sealed record ClinicalOptions
{
    /// <summary>The default identifier system of medical record numbers; sites set their own (an OID or URL).</summary>
    public const string DefaultMrnSystem = "urn:patientstream:mrn";

    /// <summary>Consumer group of the clinical merge, separate from device ingest so neither waits for the other.</summary>
    public string GroupId { get; init; } = "ps-ingest-clinical";

    /// <summary>Topic of FHIR Bundles from the EHR.</summary>
    public string Topic { get; init; } = KafkaTopics.ClinicalRecords;

    /// <summary>Stage name written into dead letters.</summary>
    public string Stage { get; init; } = "clinical";

    /// <summary>Where refused records go, with a <c>clinical.*</c> reason.</summary>
    public string DeadLetterTopic { get; init; } = KafkaTopics.ReadingsDlq;

    /// <summary>Identifier system of the MRN: a Patient is matched to the one the devices are bound to by this identifier.</summary>
    public string MrnSystem { get; init; } = DefaultMrnSystem;

    /// <summary>
    /// When no Patient carries the MRN: create one (id derived from the MRN) instead of dead-lettering the record with
    /// <c>clinical.unknown-patient</c>. Off by default: a record for a patient nobody enrolled is usually a routing error.
    /// </summary>
    public bool CreateMissingPatients { get; init; }

    /// <summary>
    /// The EHR's identity (a URI) when a Bundle carries no <c>meta.source</c>: stamped into <c>meta.source</c> of every
    /// merged resource and part of every derived id, so two EHRs using the same local ids never collide.
    /// </summary>
    public string DefaultSource { get; init; } = "urn:patientstream:ehr";

    /// <summary>Shown as the performer of clinic Observations that name none, so they never pass for device data.</summary>
    public string SourceDisplay { get; init; } = "Electronic health record";

    /// <summary>Most entries in one record; larger Bundles are refused (<c>clinical.too-large</c>).</summary>
    public int MaxEntries { get; init; } = 5_000;
}

/// <summary>Fails start-up with every problem in the clinical merge settings.</summary>
public sealed class ClinicalOptionsValidator : IValidateOptions<ClinicalOptions>
{
    public ValidateOptionsResult Validate(string? name, ClinicalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.GroupId) || string.IsNullOrWhiteSpace(options.Topic) || string.IsNullOrWhiteSpace(options.Stage)
            || string.IsNullOrWhiteSpace(options.DeadLetterTopic))
        {
            failures.Add("Clinical GroupId, Topic, Stage and DeadLetterTopic must not be empty.");
        }
        if (!IsAbsoluteUri(options.MrnSystem))
        {
            failures.Add($"Clinical MrnSystem must be an absolute URI (e.g. urn:oid:1.2.3 or https://hospital.example/mrn), not '{options.MrnSystem}'.");
        }
        if (!IsAbsoluteUri(options.DefaultSource))
        {
            failures.Add($"Clinical DefaultSource must be an absolute URI, not '{options.DefaultSource}'.");
        }
        if (string.IsNullOrWhiteSpace(options.SourceDisplay))
        {
            failures.Add("Clinical SourceDisplay must not be empty.");
        }
        if (options.MaxEntries < 1)
        {
            failures.Add("Clinical MaxEntries must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static ClinicalOptions EnsureValid(ClinicalOptions options)
    {
        var result = new ClinicalOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(ClinicalOptions), typeof(ClinicalOptions), result.Failures) : options;
    }

    /// <summary>An absolute URI with a scheme (urn:oid:1.2.3, https://...): a bare path does not name a code system.</summary>
    public static bool IsAbsoluteUri(string? value) =>
        !string.IsNullOrWhiteSpace(value) && value.IndexOf(':', StringComparison.Ordinal) > 0 && !value.Any(char.IsWhiteSpace)
        && Uri.TryCreate(value, UriKind.Absolute, out _);
}
