using System.Net;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Search;
using PatientStream.Fhir.Storage;

namespace PatientStream.Fhir.Service;

/// <summary>
/// Transaction Bundles run in one store transaction (all or nothing, urn:uuid references rewritten to the ids
/// assigned); batch Bundles run each entry on its own and report each outcome.
/// </summary>
internal sealed class BundleProcessor(IFhirStore store, ResourceWriter writer, FhirService service)
{
    private static readonly string[] MethodOrder = ["DELETE", "POST", "PUT", "GET"];

    public async Task<JsonObject> ProcessAsync(JsonObject bundle, CancellationToken ct)
    {
        // Entry resources are validated one by one as they are processed: a batch reports each entry's own outcome.
        var shell = (JsonObject)bundle.DeepClone();
        if (shell["entry"] is JsonArray shellEntries)
        {
            foreach (var e in shellEntries.OfType<JsonObject>())
            {
                e.Remove("resource");
            }
        }

        writer.Validate(shell, "Bundle");
        var type = SearchIndexer.Str(bundle["type"]);
        var entries = ParseEntries(bundle);
        return type switch
        {
            "transaction" => await TransactionAsync(entries, ct).ConfigureAwait(false),
            "batch" => await BatchAsync(entries, ct).ConfigureAwait(false),
            _ => throw new BadRequestException("BUNDLE_TYPE", $"Only transaction and batch Bundles can be processed, not '{type}'."),
        };
    }

    private async Task<JsonObject> TransactionAsync(List<BundleEntry> entries, CancellationToken ct)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries.Where(e => e.Method is "PUT" or "DELETE" && !e.Url.Contains('?', StringComparison.Ordinal)))
        {
            if (!targets.Add(e.Url))
            {
                throw new BadRequestException("DUPLICATE_ENTRY", $"Bundle.entry[{e.Index}]: {e.Url} appears more than once in the transaction.");
            }
        }

        var outcomes = new WriteOutcome?[entries.Count];
        await store.WriteAsync(
            async (tx, token) =>
            {
                var ids = await AssignIdsAsync(tx, entries, outcomes, token).ConfigureAwait(false);
                foreach (var e in entries)
                {
                    if (e.Resource is not null)
                    {
                        RewriteReferences(e.Resource, ids);
                    }
                }

                foreach (var method in MethodOrder.Take(3))
                {
                    foreach (var e in entries.Where(x => x.Method == method && outcomes[x.Index] is null))
                    {
                        outcomes[e.Index] = await WithEntryContext(e, () => WriteEntryAsync(tx, e, ids, token)).ConfigureAwait(false);
                    }
                }

                return true;
            },
            ct).ConfigureAwait(false);

        var response = new JsonArray();
        foreach (var e in entries)
        {
            response.Add(e.Method == "GET"
                ? await ReadEntryAsync(e, ct).ConfigureAwait(false)
                : ResponseEntry(outcomes[e.Index]!));
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["id"] = Guid.NewGuid().ToString(), ["type"] = "transaction-response", ["entry"] = response };
    }

    private async Task<JsonObject> BatchAsync(List<BundleEntry> entries, CancellationToken ct)
    {
        var response = new JsonArray();
        foreach (var e in entries)
        {
            try
            {
                if (e.Method == "GET")
                {
                    response.Add(await ReadEntryAsync(e, ct).ConfigureAwait(false));
                    continue;
                }

                var outcome = await store.WriteAsync(
                    (tx, token) => e.Method == "POST"
                        ? writer.CreateAsync(tx, e.Resource!, e.IfNoneExist, null, token)
                        : WriteEntryAsync(tx, e, new Dictionary<string, string>(StringComparer.Ordinal), token),
                    ct).ConfigureAwait(false);
                response.Add(ResponseEntry(outcome));
            }
            catch (FhirException ex)
            {
                response.Add(ErrorEntry(ex));
            }
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["id"] = Guid.NewGuid().ToString(), ["type"] = "batch-response", ["entry"] = response };
    }

    /// <summary>Resolves conditional creates and assigns ids to POST entries, mapping each entry's fullUrl to Type/id.</summary>
    private async Task<Dictionary<string, string>> AssignIdsAsync(IStoreTransaction tx, List<BundleEntry> entries, WriteOutcome?[] outcomes, CancellationToken ct)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Method == "POST" && e.Resource is not null)
            {
                var type = SearchIndexer.Str(e.Resource["resourceType"]) ?? string.Empty;
                if (!string.IsNullOrEmpty(e.IfNoneExist))
                {
                    var matches = await WithEntryContext(e, () => writer.MatchAsync(tx, type, e.IfNoneExist, 2, ct)).ConfigureAwait(false);
                    if (matches.Count > 1)
                    {
                        throw new PreconditionFailedException("MULTIPLE_MATCHES", $"Bundle.entry[{e.Index}]: If-None-Exist matched more than one {type}.");
                    }

                    if (matches.Count == 1)
                    {
                        outcomes[e.Index] = new WriteOutcome(HttpStatusCode.OK, await tx.ReadCurrentAsync(type, matches[0].Id, ct).ConfigureAwait(false));
                        Map(ids, e.FullUrl, $"{type}/{matches[0].Id}");
                        continue;
                    }
                }

                e.AssignedId = ResourceWriter.NewId();
                Map(ids, e.FullUrl, $"{type}/{e.AssignedId}");
            }
            else if (e.Method == "PUT" && !e.Url.Contains('?', StringComparison.Ordinal))
            {
                Map(ids, e.FullUrl, e.Url);
            }
        }

        return ids;
    }

    private static void Map(Dictionary<string, string> ids, string? fullUrl, string reference)
    {
        if (fullUrl is not null && (fullUrl.StartsWith("urn:uuid:", StringComparison.Ordinal) || fullUrl.StartsWith("urn:oid:", StringComparison.Ordinal)))
        {
            ids[fullUrl] = reference;
        }
    }

    private Task<WriteOutcome> WriteEntryAsync(IStoreTransaction tx, BundleEntry e, Dictionary<string, string> ids, CancellationToken ct)
    {
        var (type, id, query) = SplitUrl(e);
        return e.Method switch
        {
            "POST" => writer.CreateAsync(tx, e.Resource!, null, e.AssignedId, ct),
            "PUT" when query is not null => writer.ConditionalUpdateAsync(tx, type, query, e.Resource!, ct),
            "PUT" => writer.UpdateAsync(tx, type, id!, e.Resource!, e.IfMatch, ct),
            "DELETE" when id is not null => writer.DeleteAsync(tx, type, id, e.IfMatch, ct),
            _ => throw new BadRequestException("UNSUPPORTED_ENTRY", $"Bundle.entry[{e.Index}]: {e.Method} {e.Url} is not supported."),
        };
    }

    private async Task<JsonObject> ReadEntryAsync(BundleEntry e, CancellationToken ct)
    {
        try
        {
            var (type, id, query) = SplitUrl(e);
            if (id is null)
            {
                var result = await service.SearchAsync(type, query ?? string.Empty, false, ct).ConfigureAwait(false);
                return new JsonObject { ["resource"] = BundleWriter.Searchset(string.Empty, result, query ?? string.Empty, service.Definitions), ["response"] = new JsonObject { ["status"] = "200 OK" } };
            }

            var parts = id.Split('/');
            var stored = parts.Length == 3 && parts[1] == "_history"
                ? await service.VReadAsync(type, parts[0], parts[2], ct).ConfigureAwait(false)
                : await service.ReadAsync(type, id, ct).ConfigureAwait(false);
            return new JsonObject
            {
                ["resource"] = JsonNode.Parse(stored.Json),
                ["response"] = new JsonObject { ["status"] = "200 OK", ["etag"] = ETags.Format(stored.VersionText), ["lastModified"] = Validation.FhirDateTime.FormatInstant(stored.LastUpdated) },
            };
        }
        catch (FhirException ex)
        {
            return ErrorEntry(ex);
        }
    }

    private static (string Type, string? Id, string? Query) SplitUrl(BundleEntry e)
    {
        var url = e.Url;
        var q = url.IndexOf('?', StringComparison.Ordinal);
        var path = q < 0 ? url : url[..q];
        var query = q < 0 ? null : url[(q + 1)..];
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (path, null, query) : (path[..slash], path[(slash + 1)..], query);
    }

    private static async Task<T> WithEntryContext<T>(BundleEntry e, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (FhirException ex)
        {
            var prefix = $"Bundle.entry[{e.Index}].resource";
            var issues = ex.Issues.Select(i => i with
            {
                Expression = i.Expression.Length == 0 ? $"Bundle.entry[{e.Index}]" : prefix + (i.Expression.Contains('.', StringComparison.Ordinal) ? i.Expression[i.Expression.IndexOf('.', StringComparison.Ordinal)..] : string.Empty),
            }).ToList();
            throw ex is ResourceValidationException
                ? new ResourceValidationException(issues)
                : new FhirException(ex.Status, ex.Code, $"Bundle.entry[{e.Index}]: {ex.Message}", issues);
        }
    }

    private static JsonObject ResponseEntry(WriteOutcome outcome)
    {
        var r = outcome.Resource;
        var response = new JsonObject { ["status"] = $"{(int)outcome.Status} {ReasonPhrase(outcome.Status)}" };
        var entry = new JsonObject();
        if (r is not null)
        {
            response["location"] = $"{r.Type}/{r.Id}/_history/{r.VersionText}";
            response["etag"] = ETags.Format(r.VersionText);
            response["lastModified"] = Validation.FhirDateTime.FormatInstant(r.LastUpdated);
            if (!r.Deleted)
            {
                entry["fullUrl"] = $"{r.Type}/{r.Id}";
                entry["resource"] = JsonNode.Parse(r.Json);
            }
        }

        entry["response"] = response;
        return entry;
    }

    private static JsonObject ErrorEntry(FhirException ex) => new()
    {
        ["response"] = new JsonObject
        {
            ["status"] = $"{(int)ex.Status} {ReasonPhrase(ex.Status)}",
            ["outcome"] = OperationOutcomes.From(ex.Issues),
        },
    };

    private static string ReasonPhrase(HttpStatusCode status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase((int)status);

    /// <summary>Rewrites Reference.reference values that name a urn:uuid/urn:oid fullUrl of this transaction.</summary>
    internal static void RewriteReferences(JsonNode node, IReadOnlyDictionary<string, string> ids)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["reference"] is JsonValue v && v.TryGetValue<string>(out var reference) && ids.TryGetValue(reference, out var rewritten))
                {
                    obj["reference"] = rewritten;
                }

                foreach (var (_, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        RewriteReferences(child, ids);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        RewriteReferences(child, ids);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static List<BundleEntry> ParseEntries(JsonObject bundle)
    {
        var list = new List<BundleEntry>();
        if (bundle["entry"] is not JsonArray entries)
        {
            return list;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is not JsonObject entry || entry["request"] is not JsonObject request)
            {
                throw new BadRequestException("ENTRY_REQUEST", $"Bundle.entry[{i}] has no request.");
            }

            var method = SearchIndexer.Str(request["method"]) ?? string.Empty;
            var url = SearchIndexer.Str(request["url"]) ?? string.Empty;
            var resource = entry["resource"] as JsonObject;
            if (method is "POST" or "PUT" && resource is null)
            {
                throw new BadRequestException("ENTRY_RESOURCE", $"Bundle.entry[{i}]: {method} needs a resource.");
            }

            list.Add(new BundleEntry(i, method, url.TrimStart('/'), SearchIndexer.Str(entry["fullUrl"]), resource, SearchIndexer.Str(request["ifNoneExist"]), SearchIndexer.Str(request["ifMatch"])));
        }

        return list;
    }

    private sealed record BundleEntry(int Index, string Method, string Url, string? FullUrl, JsonObject? Resource, string? IfNoneExist, string? IfMatch)
    {
        public string? AssignedId { get; set; }
    }
}
