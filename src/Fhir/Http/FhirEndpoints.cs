using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Validation;

namespace PatientStream.Fhir.Http;

/// <summary>The FHIR REST interactions, each a thin handler over <see cref="FhirService"/>.</summary>
internal static class FhirEndpoints
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    public static void Map(IEndpointRouteBuilder endpoints, string prefix)
    {
        var g = endpoints.MapGroup(prefix).AddEndpointFilter<FhirErrorFilter>().AddEndpointFilter<FhirFormatFilter>();
        g.MapGet("/metadata", (CapabilityStatementBuilder capability, HttpContext ctx) => FhirResponse.Of(HttpStatusCode.OK, capability.Build(BaseUrl(ctx, prefix))));
        g.MapGet("/", (HttpContext ctx, FhirService svc) => GetPagesAsync(ctx, svc, prefix));
        g.MapPost("/", async (HttpContext ctx, FhirService svc) =>
            FhirResponse.Of(HttpStatusCode.OK, await svc.ProcessBundleAsync(await ReadResourceAsync(ctx).ConfigureAwait(false), ctx.RequestAborted).ConfigureAwait(false)));
        g.MapGet("/_history", (HttpContext ctx, FhirService svc) => HistoryAsync(ctx, svc, prefix, null, null));
        g.MapGet("/{type}", (HttpContext ctx, FhirService svc, IOptions<FhirServerOptions> o, string type) =>
            SearchAsync(ctx, svc, prefix, type, FhirQuery.Parse(ctx.Request.QueryString.Value), o.Value));
        g.MapPost("/{type}/_search", async (HttpContext ctx, FhirService svc, IOptions<FhirServerOptions> o, string type) =>
        {
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            var pairs = FhirQuery.Parse(ctx.Request.QueryString.Value).ToList();
            pairs.AddRange(form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? string.Empty))));
            return await SearchAsync(ctx, svc, prefix, type, pairs, o.Value).ConfigureAwait(false);
        });
        g.MapPost("/{type}", async (HttpContext ctx, FhirService svc, string type) =>
        {
            var resource = await ReadResourceAsync(ctx).ConfigureAwait(false);
            if (SearchIndexerStr(resource["resourceType"]) is { } bodyType && bodyType != type)
            {
                throw new BadRequestException("TYPE_MISMATCH", $"The body is a {bodyType}, the URL names {type}.");
            }

            var ifNoneExist = ctx.Request.Headers["If-None-Exist"].ToString();
            var outcome = await svc.CreateAsync(resource, ifNoneExist.Length == 0 ? null : ifNoneExist, ctx.RequestAborted).ConfigureAwait(false);
            return WriteResult(ctx, prefix, outcome);
        });
        g.MapPut("/{type}", async (HttpContext ctx, FhirService svc, string type) =>
        {
            var query = ctx.Request.QueryString.Value?.TrimStart('?') ?? string.Empty;
            var outcome = await svc.ConditionalUpdateAsync(type, query, await ReadResourceAsync(ctx).ConfigureAwait(false), ctx.RequestAborted).ConfigureAwait(false);
            return WriteResult(ctx, prefix, outcome);
        });
        g.MapGet("/{type}/_history", (HttpContext ctx, FhirService svc, string type) => HistoryAsync(ctx, svc, prefix, type, null));
        g.MapGet("/{type}/{id}", async (HttpContext ctx, FhirService svc, string type, string id) =>
        {
            var stored = await svc.ReadAsync(type, id, ctx.RequestAborted).ConfigureAwait(false);
            return FhirResponse.Raw(HttpStatusCode.OK, stored.Json) with { Version = stored };
        });
        g.MapPut("/{type}/{id}", async (HttpContext ctx, FhirService svc, string type, string id) =>
        {
            var ifMatch = ctx.Request.Headers.IfMatch.ToString();
            var outcome = await svc.UpdateAsync(type, id, await ReadResourceAsync(ctx).ConfigureAwait(false), ifMatch.Length == 0 ? null : ifMatch, ctx.RequestAborted).ConfigureAwait(false);
            return WriteResult(ctx, prefix, outcome);
        });
        g.MapDelete("/{type}/{id}", async (HttpContext ctx, FhirService svc, string type, string id) =>
        {
            var ifMatch = ctx.Request.Headers.IfMatch.ToString();
            var outcome = await svc.DeleteAsync(type, id, ifMatch.Length == 0 ? null : ifMatch, ctx.RequestAborted).ConfigureAwait(false);
            return FhirResponse.Empty(HttpStatusCode.NoContent) with { Version = outcome.Resource };
        });
        g.MapGet("/{type}/{id}/_history", (HttpContext ctx, FhirService svc, string type, string id) => HistoryAsync(ctx, svc, prefix, type, id));
        g.MapGet("/{type}/{id}/_history/{vid}", async (HttpContext ctx, FhirService svc, string type, string id, string vid) =>
        {
            var stored = await svc.VReadAsync(type, id, vid, ctx.RequestAborted).ConfigureAwait(false);
            return FhirResponse.Raw(HttpStatusCode.OK, stored.Json) with { Version = stored };
        });
        g.MapGet("/Patient/{id}/$everything", async (HttpContext ctx, FhirService svc, string id) =>
        {
            var all = await svc.EverythingAsync(id, ctx.RequestAborted).ConfigureAwait(false);
            return FhirResponse.Of(HttpStatusCode.OK, BundleWriter.Collection(BaseUrl(ctx, prefix), "searchset", all));
        });
        g.MapFallback("/{**rest}", (HttpContext ctx) =>
            FhirErrorFilter.ToResponse(new FhirException(HttpStatusCode.NotFound, "UNKNOWN_ROUTE", $"{ctx.Request.Method} {ctx.Request.Path} is not a FHIR interaction this server supports.")));
    }

    public static string BaseUrl(HttpContext ctx, string prefix) => $"{ctx.Request.Scheme}://{ctx.Request.Host}{ctx.Request.PathBase}{prefix}";

    private static async Task<IResult> SearchAsync(HttpContext ctx, FhirService svc, string prefix, string type, IReadOnlyList<KeyValuePair<string, string>> pairs, FhirServerOptions options)
    {
        var strict = ctx.Request.Headers["Prefer"].Any(p => p is not null && p.Contains("handling=strict", StringComparison.OrdinalIgnoreCase));
        var effective = pairs.Any(p => p.Key == "_count") ? pairs : [.. pairs, new("_count", options.DefaultPageSize.ToString(CultureInfo.InvariantCulture))];
        var result = await svc.SearchAsync(type, effective, strict, ctx.RequestAborted).ConfigureAwait(false);
        var self = string.Join("&", pairs.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return FhirResponse.Of(HttpStatusCode.OK, BundleWriter.Searchset(BaseUrl(ctx, prefix), result, self, svc.Definitions));
    }

    private static async Task<IResult> GetPagesAsync(HttpContext ctx, FhirService svc, string prefix)
    {
        var q = ctx.Request.Query;
        var searchId = q["_getpages"].ToString();
        if (searchId.Length == 0)
        {
            throw new BadRequestException("SYSTEM_SEARCH", "Searching across all resource types is not supported; search a resource type.");
        }

        var offset = int.TryParse(q["_getpagesoffset"], CultureInfo.InvariantCulture, out var o) ? o : 0;
        var count = int.TryParse(q["_count"], CultureInfo.InvariantCulture, out var c) ? c : Search.SearchQueryParser.DefaultCount;
        var result = await svc.PageAsync(searchId, offset, count, ctx.RequestAborted).ConfigureAwait(false)
            ?? throw new FhirException(HttpStatusCode.NotFound, "SEARCH_EXPIRED", "The search result set has expired; run the search again.");
        return FhirResponse.Of(HttpStatusCode.OK, BundleWriter.Searchset(BaseUrl(ctx, prefix), result, string.Empty, svc.Definitions));
    }

    private static async Task<IResult> HistoryAsync(HttpContext ctx, FhirService svc, string prefix, string? type, string? id)
    {
        var q = ctx.Request.Query;
        var count = int.TryParse(q["_count"], CultureInfo.InvariantCulture, out var c) ? c : 100;
        DateTimeOffset? since = null;
        if (q["_since"].ToString() is { Length: > 0 } s)
        {
            since = FhirDateTime.TryParse(s, out var range) ? range.Low : throw new BadRequestException("INVALID_SINCE", $"'{s}' is not a valid instant.");
        }

        if (type is not null && id is not null)
        {
            // Instance history of an unknown resource is a 404, not an empty Bundle.
            var versions = await svc.HistoryAsync(type, id, since, count, ctx.RequestAborted).ConfigureAwait(false);
            if (versions.Count == 0 && since is null)
            {
                throw new ResourceNotFoundException(type, id);
            }

            return FhirResponse.Of(HttpStatusCode.OK, BundleWriter.History(BaseUrl(ctx, prefix), versions));
        }

        var history = await svc.HistoryAsync(type, id, since, count, ctx.RequestAborted).ConfigureAwait(false);
        return FhirResponse.Of(HttpStatusCode.OK, BundleWriter.History(BaseUrl(ctx, prefix), history));
    }

    private static FhirResponse WriteResult(HttpContext ctx, string prefix, WriteOutcome outcome)
    {
        var r = outcome.Resource!;
        var location = outcome.Created ? $"{BaseUrl(ctx, prefix)}/{r.Type}/{r.Id}/_history/{r.VersionText}" : null;
        var prefer = ctx.Request.Headers["Prefer"].ToString();
        FhirResponse response;
        if (prefer.Contains("return=minimal", StringComparison.OrdinalIgnoreCase))
        {
            response = FhirResponse.Empty(outcome.Status);
        }
        else if (prefer.Contains("return=OperationOutcome", StringComparison.OrdinalIgnoreCase))
        {
            response = FhirResponse.Of(outcome.Status, OperationOutcomes.Information($"{r.Type}/{r.Id} version {r.VersionText} {(outcome.Created ? "created" : "stored")}."));
        }
        else
        {
            response = FhirResponse.Raw(outcome.Status, r.Json);
        }

        return response with { Version = r, Location = location };
    }

    private static async Task<JsonObject> ReadResourceAsync(HttpContext ctx)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(ctx.Request.Body, NodeOptions, DocumentOptions, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw new BadRequestException(IssueCodes.MalformedJson, "The body is not valid JSON: " + ex.Message);
        }

        return node as JsonObject ?? throw new BadRequestException(IssueCodes.NotAResource, "The body must be a JSON object (a FHIR resource).");
    }

    private static string? SearchIndexerStr(JsonNode? node) => Search.SearchIndexer.Str(node);
}
