using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Fhir.Errors;
using PatientStream.Ingest.Fhir;
using PatientStream.Kafka;

namespace PatientStream.Ingest.Clinical;

/// <summary>What merging one EHR record did: the Patient it landed on, or why it was refused.</summary>
public sealed record ClinicalMergeResult(string? PatientId, bool PatientCreated, int Written, int Skipped, ClinicalRejection? Rejection)
{
    public bool Merged => Rejection is null;

    internal static ClinicalMergeResult Refused(ClinicalRejection rejection) => new(null, false, 0, 0, rejection);
}

/// <summary>
/// The clinical merge stage on <c>ps.clinical.records</c>: each record (a FHIR Bundle from the EHR) is resolved to the
/// Patient the devices are bound to by MRN and written as one FHIR transaction. Refused records come back in the
/// <see cref="BatchOutcome"/> with a <see cref="ClinicalRejectCodes"/> reason; a store failure other than a refusal
/// throws, so the consumer loop retries and commits no offset before the record is durable.
/// </summary>
public sealed class ClinicalRecordHandler : IRecordBatchHandler
{
    private readonly ClinicalOptions _options;
    private readonly IPatientDirectory _patients;
    private readonly IFhirWriter _writer;
    private readonly ILogger _logger;

    public ClinicalRecordHandler(ClinicalOptions options, IPatientDirectory patients, IFhirWriter writer, ILogger<ClinicalRecordHandler>? logger = null)
    {
        _options = ClinicalOptionsValidator.EnsureValid(options);
        _patients = patients ?? throw new ArgumentNullException(nameof(patients));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _logger = logger ?? NullLogger<ClinicalRecordHandler>.Instance;
    }

    public ClinicalCounters Counters { get; } = new();

    public async Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var rejected = new List<RejectedRecord>();
        foreach (var record in records)
        {
            var result = await MergeAsync(record.Value, cancellationToken).ConfigureAwait(false);
            if (result.Rejection is { } rejection)
            {
                rejected.Add(new RejectedRecord(record, rejection.Reason));
            }
        }
        return rejected.Count == 0 ? BatchOutcome.AllHandled : new BatchOutcome(rejected);
    }

    /// <summary>Merges one record (the bytes of a FHIR Bundle); idempotent, so a replay updates what the first run wrote.</summary>
    public async Task<ClinicalMergeResult> MergeAsync(byte[] value, CancellationToken cancellationToken)
    {
        var result = await TryMergeAsync(value, cancellationToken).ConfigureAwait(false);
        if (result.Rejection is { } rejection)
        {
            Counters.AddRejected();
            // The code only: the detail can quote the record, and logs carry no patient data above Debug.
            _logger.LogWarning("Clinical record refused: {Code}", rejection.Code);
            _logger.LogDebug("Clinical record refused: {Reason}", rejection.Reason);
        }
        else
        {
            Counters.AddMerged(result.Written, result.Skipped, result.PatientCreated);
        }
        return result;
    }

    private async Task<ClinicalMergeResult> TryMergeAsync(byte[] value, CancellationToken cancellationToken)
    {
        var read = ClinicalBundleReader.Read(value, _options);
        if (read.Record is not { } record)
        {
            return ClinicalMergeResult.Refused(read.Rejection!);
        }
        var matches = await _patients.FindByIdentifierAsync(_options.MrnSystem, record.Mrn, cancellationToken).ConfigureAwait(false);
        PatientTarget target;
        switch (matches.Count)
        {
            case 0 when !_options.CreateMissingPatients:
                return ClinicalMergeResult.Refused(new(ClinicalRejectCodes.UnknownPatient, $"no Patient has an identifier in {_options.MrnSystem} with the record's MRN"));
            case 0:
                target = new PatientTarget(ClinicalTransaction.CreatedPatientId(_options.MrnSystem, record.Mrn), null);
                break;
            case 1:
                target = new PatientTarget(matches[0].Id, matches[0]);
                break;
            default:
                return ClinicalMergeResult.Refused(new(ClinicalRejectCodes.AmbiguousPatient, $"several Patients have the record's MRN in {_options.MrnSystem}"));
        }
        var (bundle, rejection) = ClinicalTransaction.Build(record, target, _options);
        if (rejection is not null)
        {
            return ClinicalMergeResult.Refused(rejection);
        }
        var written = (bundle!["entry"] as JsonArray)!.Count;
        try
        {
            await _writer.WriteTransactionAsync(bundle, cancellationToken).ConfigureAwait(false);
        }
        catch (FhirException e) when (e.Status is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity)
        {
            // The record itself is wrong: no retry will change that. Everything else (a version conflict with a
            // concurrent writer, the store unavailable) propagates and is retried.
            var issues = string.Join("; ", e.Issues.Take(3).Select(i => i.Expression.Length > 0 ? $"{i.Expression}: {i.Message}" : i.Message));
            return ClinicalMergeResult.Refused(new(ClinicalRejectCodes.Invalid, $"the FHIR store refused the record ({e.Code}): {issues}"));
        }
        return new ClinicalMergeResult(target.Id, target.Existing is null, written, record.Skipped, null);
    }
}
