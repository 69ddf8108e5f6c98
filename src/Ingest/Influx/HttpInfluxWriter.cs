using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Ingest.Cleaning;

namespace PatientStream.Ingest.Influx;

/// <summary>
/// <see cref="IInfluxWriter"/> over the v1 HTTP API (<c>/write</c>, nanosecond precision). Requests carry at most
/// <see cref="InfluxOptions.BatchSize"/> lines, gzipped; 5xx, 429 and connection failures are retried with
/// exponential back-off. A 400 that names a partial write or an unparsable line is narrowed down by halving the
/// request until each refused point is found: writes are idempotent, so re-sending accepted points is harmless.
/// </summary>
public sealed class HttpInfluxWriter : IInfluxWriter
{
    private readonly HttpClient _http;
    private readonly InfluxOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Uri _writeUri;
    private long _requests;
    private long _retries;

    public HttpInfluxWriter(HttpClient http, InfluxOptions options, ILogger<HttpInfluxWriter>? logger = null, TimeProvider? time = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _options = InfluxOptionsValidator.EnsureValid(options);
        _logger = logger ?? NullLogger<HttpInfluxWriter>.Instance;
        _time = time ?? TimeProvider.System;
        var query = $"write?db={Uri.EscapeDataString(options.Database)}&precision=ns";
        if (!string.IsNullOrEmpty(options.RetentionPolicy))
        {
            query += $"&rp={Uri.EscapeDataString(options.RetentionPolicy)}";
        }
        _writeUri = new Uri(options.Url!, query);
    }

    /// <summary>HTTP write requests sent, retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests repeated after a 5xx, 429 or connection failure.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Creates the database when settings ask for it (idempotent in InfluxDB).</summary>
    public async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateDatabase)
        {
            return;
        }
        var statement = $"CREATE DATABASE \"{_options.Database.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
        using var content = new FormUrlEncodedContent([new("q", statement)]);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.Url!, "query")) { Content = content };
        Authorize(request);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InfluxWriteException(Classify(response.StatusCode, body), $"CREATE DATABASE failed with {(int)response.StatusCode}: {ErrorText(body)}");
        }
    }

    public async Task<InfluxWriteResult> WriteAsync(IReadOnlyList<InfluxPoint> points, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(points);
        var failures = new List<InfluxPointFailure>();
        // Every line goes into one text, each point remembering its range: no string per point on the hot path.
        var text = new StringBuilder(points.Count * 112);
        var ranges = new (int Start, int Length)[points.Count];
        var writable = new List<int>(points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            try
            {
                var start = text.Length;
                LineProtocol.Append(text, points[i]);
                text.Append('\n');
                ranges[i] = (start, text.Length - start);
                writable.Add(i);
            }
            catch (LineProtocolException e)
            {
                failures.Add(new InfluxPointFailure(i, RejectCodes.InfluxRejected, e.Message));
            }
        }
        var lines = new Lines(text.ToString(), ranges);
        var chunks = new List<List<int>>();
        for (var start = 0; start < writable.Count; start += _options.BatchSize)
        {
            chunks.Add(writable.GetRange(start, Math.Min(_options.BatchSize, writable.Count - start)));
        }
        var chunkFailures = new List<InfluxPointFailure>[chunks.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrentRequests, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                chunkFailures[i] = [];
                await WriteChunkAsync(chunks[i], lines, chunkFailures[i], ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
        failures.AddRange(chunkFailures.SelectMany(f => f));
        return failures.Count == 0 ? InfluxWriteResult.Success : new InfluxWriteResult([.. failures.OrderBy(f => f.Index)]);
    }

    private async Task WriteChunkAsync(List<int> chunk, Lines lines, List<InfluxPointFailure> failures, CancellationToken cancellationToken)
    {
        var (status, body) = await SendWithRetriesAsync(chunk, lines, cancellationToken).ConfigureAwait(false);
        if (status is HttpStatusCode.NoContent or HttpStatusCode.OK)
        {
            return;
        }
        var error = ErrorText(body);
        var partial = error.Contains("partial write", StringComparison.OrdinalIgnoreCase);
        var unparsable = error.Contains("unable to parse", StringComparison.OrdinalIgnoreCase);
        if (status is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity && (partial || unparsable))
        {
            if (chunk.Count == 1)
            {
                failures.Add(new InfluxPointFailure(chunk[0], partial ? RejectCodes.InfluxPartialWrite : RejectCodes.InfluxRejected, error));
                return;
            }
            var half = chunk.Count / 2;
            await WriteChunkAsync(chunk.GetRange(0, half), lines, failures, cancellationToken).ConfigureAwait(false);
            await WriteChunkAsync(chunk.GetRange(half, chunk.Count - half), lines, failures, cancellationToken).ConfigureAwait(false);
            return;
        }
        throw new InfluxWriteException(Classify(status, body), $"InfluxDB refused the write with {(int)status}: {error}");
    }

    private async Task<(HttpStatusCode Status, string Body)> SendWithRetriesAsync(List<int> chunk, Lines lines, CancellationToken cancellationToken)
    {
        var payload = Encode(chunk, lines);
        var backoff = _options.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            Interlocked.Increment(ref _requests);
            TimeSpan? retryAfter = null;
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _writeUri) { Content = new ByteArrayContent(payload) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
                if (_options.Gzip)
                {
                    request.Content.Headers.ContentEncoding.Add("gzip");
                }
                Authorize(request);
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var status = response.StatusCode;
                if ((int)status < 500 && status != HttpStatusCode.TooManyRequests)
                {
                    var body = status == HttpStatusCode.NoContent ? "" : await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    return (status, body);
                }
                retryAfter = response.Headers.RetryAfter?.Delta;
                failure = $"HTTP {(int)status}";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"timeout: {e.Message}";
            }
            if (attempt >= _options.MaxAttempts)
            {
                throw new InfluxWriteException(InfluxWriteException.Unavailable,
                    $"InfluxDB write failed after {attempt} attempts: {failure}");
            }
            Interlocked.Increment(ref _retries);
            var delay = retryAfter is { } wait && wait > backoff ? wait : backoff;
            _logger.LogWarning("InfluxDB write attempt {Attempt}/{Max} failed ({Failure}); retrying in {Delay} ms",
                attempt, _options.MaxAttempts, failure, (int)delay.TotalMilliseconds);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private byte[] Encode(List<int> chunk, Lines lines)
    {
        using var buffer = new MemoryStream(_options.Gzip ? chunk.Count * 24 + 64 : chunk.Count * 112);
        var body = _options.Gzip ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : (Stream)buffer;
        try
        {
            // Consecutive points (the usual case) are one slice of the text, written without copying it first.
            var run = 0;
            for (var i = 1; i <= chunk.Count; i++)
            {
                if (i < chunk.Count && chunk[i] == chunk[i - 1] + 1)
                {
                    continue;
                }
                var first = lines.Ranges[chunk[run]];
                var last = lines.Ranges[chunk[i - 1]];
                WriteUtf8(body, lines.Text.AsSpan(first.Start, last.Start + last.Length - first.Start));
                run = i;
            }
        }
        finally
        {
            if (body != buffer)
            {
                body.Dispose();
            }
        }
        return buffer.ToArray();
    }

    private static void WriteUtf8(Stream stream, ReadOnlySpan<char> text)
    {
        const int Slice = 16 * 1024;
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(Slice));
        try
        {
            while (!text.IsEmpty)
            {
                var take = Math.Min(Slice, text.Length);
                // Never split a surrogate pair between slices.
                if (take < text.Length && char.IsHighSurrogate(text[take - 1]))
                {
                    take--;
                }
                var count = Encoding.UTF8.GetBytes(text[..take], bytes);
                stream.Write(bytes, 0, count);
                text = text[take..];
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>The line-protocol text of a write and each point's line (with its newline) in it.</summary>
    private sealed record Lines(string Text, (int Start, int Length)[] Ranges);

    private void Authorize(HttpRequestMessage request)
    {
        if (!string.IsNullOrEmpty(_options.Username))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_options.Username}:{_options.Password}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
    }

    private static string Classify(HttpStatusCode status, string body) => status switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => InfluxWriteException.Unauthorized,
        HttpStatusCode.NotFound when body.Contains("database not found", StringComparison.OrdinalIgnoreCase) => InfluxWriteException.DatabaseNotFound,
        _ => InfluxWriteException.RequestRejected,
    };

    /// <summary>The "error" member of InfluxDB's JSON error body, or the body itself.</summary>
    private static string ErrorText(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "(no body)";
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (JsonException)
        {
            // not JSON: InfluxDB 3 and proxies answer in plain text
        }
        return body.Length <= 500 ? body : body[..500];
    }
}
