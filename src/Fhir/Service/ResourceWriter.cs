using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Search;
using PatientStream.Fhir.Storage;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Service;

/// <summary>
/// Version and meta rules of every write, inside a store transaction: validation, server-assigned ids,
/// versionId/lastUpdated, conditional matching, If-Match, and index extraction.
/// </summary>
internal sealed class ResourceWriter(FhirDefinitions definitions, TimeProvider clock)
{
    private readonly ResourceValidator _validator = new(definitions);
    private readonly SearchIndexer _indexer = new(definitions);
    private readonly SearchQueryParser _parser = new(definitions);

    public static string NewId() => Guid.CreateVersion7().ToString();

    /// <summary>Throws <see cref="ResourceValidationException"/> with every issue found.</summary>
    public string Validate(JsonNode? resource, string? expectedType)
    {
        var issues = _validator.Validate(resource);
        if (issues.Count > 0)
        {
            throw new ResourceValidationException(issues);
        }

        var type = resource!["resourceType"]!.GetValue<string>();
        if (expectedType is not null && type != expectedType)
        {
            throw new BadRequestException("TYPE_MISMATCH", $"The body is a {type}, the URL names {expectedType}.");
        }

        return type;
    }

    public async Task<WriteOutcome> CreateAsync(IStoreTransaction tx, JsonObject resource, string? ifNoneExist, string? assignedId, CancellationToken ct)
    {
        var type = Validate(resource, null);
        if (!string.IsNullOrEmpty(ifNoneExist))
        {
            var matches = await MatchAsync(tx, type, ifNoneExist, 2, ct).ConfigureAwait(false);
            if (matches.Count > 1)
            {
                throw new PreconditionFailedException("MULTIPLE_MATCHES", $"If-None-Exist matched {matches.Count} or more {type} resources.");
            }

            if (matches.Count == 1)
            {
                return new WriteOutcome(HttpStatusCode.OK, await tx.ReadCurrentAsync(type, matches[0].Id, ct).ConfigureAwait(false));
            }
        }

        var id = assignedId ?? NewId();
        return new WriteOutcome(HttpStatusCode.Created, await PutAsync(tx, type, id, resource, null, "POST", ct).ConfigureAwait(false));
    }

    public async Task<WriteOutcome> UpdateAsync(IStoreTransaction tx, string type, string id, JsonObject resource, string? ifMatch, CancellationToken ct)
    {
        Validate(resource, type);
        var bodyId = SearchIndexer.Str(resource["id"]);
        if (bodyId is null)
        {
            throw new BadRequestException("ID_REQUIRED", "An update must carry the resource id in the body.");
        }

        if (bodyId != id)
        {
            throw new BadRequestException("ID_MISMATCH", $"The body id '{bodyId}' does not match the URL id '{id}'.");
        }

        var current = await tx.ReadCurrentAsync(type, id, ct).ConfigureAwait(false);
        CheckIfMatch(type, id, current, ifMatch);
        var written = await PutAsync(tx, type, id, resource, current, "PUT", ct).ConfigureAwait(false);
        return new WriteOutcome(current is null || current.Deleted ? HttpStatusCode.Created : HttpStatusCode.OK, written);
    }

    public async Task<WriteOutcome> ConditionalUpdateAsync(IStoreTransaction tx, string type, string query, JsonObject resource, CancellationToken ct)
    {
        Validate(resource, type);
        var matches = await MatchAsync(tx, type, query, 2, ct).ConfigureAwait(false);
        var bodyId = SearchIndexer.Str(resource["id"]);
        switch (matches.Count)
        {
            case 0:
                var id = bodyId ?? NewId();
                var existing = await tx.ReadCurrentAsync(type, id, ct).ConfigureAwait(false);
                return new WriteOutcome(HttpStatusCode.Created, await PutAsync(tx, type, id, resource, existing, "PUT", ct).ConfigureAwait(false));
            case 1:
                if (bodyId is not null && bodyId != matches[0].Id)
                {
                    throw new BadRequestException("ID_MISMATCH", $"The body id '{bodyId}' does not match the resource the condition found.");
                }

                var current = await tx.ReadCurrentAsync(type, matches[0].Id, ct).ConfigureAwait(false);
                return new WriteOutcome(HttpStatusCode.OK, await PutAsync(tx, type, matches[0].Id, resource, current, "PUT", ct).ConfigureAwait(false));
            default:
                throw new PreconditionFailedException("MULTIPLE_MATCHES", $"The condition matched more than one {type}.");
        }
    }

    public async Task<WriteOutcome> DeleteAsync(IStoreTransaction tx, string type, string id, string? ifMatch, CancellationToken ct)
    {
        var current = await tx.ReadCurrentAsync(type, id, ct).ConfigureAwait(false);
        CheckIfMatch(type, id, current, ifMatch);
        if (current is null || current.Deleted)
        {
            return new WriteOutcome(HttpStatusCode.NoContent, current);
        }

        var write = new ResourceWrite(type, id, current.VersionId + 1, Now(), true, "DELETE", string.Empty, new IndexEntries());
        await tx.PutAsync(write, ct).ConfigureAwait(false);
        return new WriteOutcome(HttpStatusCode.NoContent, ToStored(write));
    }

    public Task<IReadOnlyList<ResourceKey>> MatchAsync(IStoreTransaction tx, string type, string query, int limit, CancellationToken ct)
    {
        var pairs = FhirQuery.Parse(query);
        if (pairs.Count == 0)
        {
            throw new BadRequestException("INVALID_CONDITION", "A conditional operation needs search criteria.");
        }

        // Conditions are always strict: an ignored parameter would widen the match and overwrite the wrong resource.
        var parsed = _parser.Parse(type, pairs, strict: true);
        return tx.MatchAsync(parsed, limit, ct);
    }

    private static void CheckIfMatch(string type, string id, StoredResource? current, string? ifMatch)
    {
        if (string.IsNullOrEmpty(ifMatch))
        {
            return;
        }

        var expected = ETags.Parse(ifMatch);
        var actual = current is null || current.Deleted ? "none" : current.VersionText;
        if (expected != actual)
        {
            throw new VersionConflictException(type, id, expected, actual);
        }
    }

    private async Task<StoredResource> PutAsync(IStoreTransaction tx, string type, string id, JsonObject resource, StoredResource? current, string method, CancellationToken ct)
    {
        var version = (current?.VersionId ?? 0) + 1;
        var now = Now();
        var stamped = Stamp(resource, type, id, version, now);
        var write = new ResourceWrite(type, id, version, now, false, method, stamped.ToJsonString(), _indexer.Extract(type, stamped));
        await tx.PutAsync(write, ct).ConfigureAwait(false);
        return ToStored(write);
    }

    private DateTimeOffset Now()
    {
        // Milliseconds: the precision meta.lastUpdated is written with, so the index and the JSON agree.
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>The resource as received, with id and meta.versionId/lastUpdated set by the server (everything else kept).</summary>
    private static JsonObject Stamp(JsonObject resource, string type, string id, long version, DateTimeOffset lastUpdated)
    {
        var meta = resource["meta"] is JsonObject m ? (JsonObject)m.DeepClone() : new JsonObject();
        meta.Remove("versionId");
        meta.Remove("lastUpdated");
        var newMeta = new JsonObject
        {
            ["versionId"] = version.ToString(CultureInfo.InvariantCulture),
            ["lastUpdated"] = FhirDateTime.FormatInstant(lastUpdated),
        };
        foreach (var (k, v) in meta.ToList())
        {
            meta.Remove(k);
            newMeta[k] = v;
        }

        var stamped = new JsonObject { ["resourceType"] = type, ["id"] = id, ["meta"] = newMeta };
        foreach (var (k, v) in resource.ToList())
        {
            if (k is "resourceType" or "id" or "meta")
            {
                continue;
            }

            stamped[k] = v?.DeepClone();
        }

        return stamped;
    }

    private static StoredResource ToStored(ResourceWrite w) => new(w.Type, w.Id, w.VersionId, w.LastUpdated, w.Deleted, w.Method, w.Json);
}
