using System.Net;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Influx;
using PatientStream.Testing;

namespace PatientStream.Ingest.Tests.Influx;

[Collection(ServerTestGroup.Name)]
public sealed class HttpInfluxWriterTests(InfluxFixture influx)
{
    private static readonly long s_t0 = InfluxPoint.ToUnixNanoseconds(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Points_with_characters_that_need_escaping_round_trip_through_the_server()
    {
        var database = InfluxQuery.NewDatabase();
        using var http = new HttpClient();
        var writer = await StartAsync(http, database);
        var points = new[]
        {
            Point("heart rate,x", s_t0, 72, patient: "Patient/a b,c=d"),
            Point("heart rate,x", s_t0 + 1_000, 73, patient: "Patient/a b,c=d"),
        };

        var result = await writer.WriteAsync(points, CancellationToken.None);

        Assert.Empty(result.Failed);
        var rows = await InfluxQuery.RowsAsync(influx, database, "SELECT value, patient FROM \"heart rate,x\"");
        Assert.Equal([s_t0, s_t0 + 1_000], rows.Select(r => r[0].GetInt64()));
        Assert.Equal([72.0, 73.0], rows.Select(r => r[1].GetDouble()));
        Assert.All(rows, r => Assert.Equal("Patient/a b,c=d", r[2].GetString()));
    }

    [Fact]
    public async Task Writing_the_same_series_and_timestamp_twice_leaves_one_point()
    {
        var database = InfluxQuery.NewDatabase();
        using var http = new HttpClient();
        var writer = await StartAsync(http, database);
        var point = Point("spo2", s_t0, 97);

        await writer.WriteAsync([point], CancellationToken.None);
        await writer.WriteAsync([point, point], CancellationToken.None);

        var rows = await InfluxQuery.RowsAsync(influx, database, "SELECT count(value) FROM spo2");
        Assert.Equal(1, Assert.Single(rows)[1].GetInt64());
    }

    [Fact]
    public async Task A_partial_write_is_narrowed_down_to_the_refused_points_and_the_rest_is_stored()
    {
        var database = InfluxQuery.NewDatabase();
        using var http = new HttpClient();
        var writer = await StartAsync(http, database, batchSize: 8);
        Assert.Empty((await writer.WriteAsync([Point("glucose", s_t0, 90)], CancellationToken.None)).Failed);
        var points = Enumerable.Range(1, 10).Select(i => Point("glucose", s_t0 + i, 90 + i)).ToList();
        // A field of another type than the measurement already has: InfluxDB drops those lines in a partial write.
        points[3] = points[3] with { Fields = [InfluxField.OfText("value", "high")] };
        points[8] = points[8] with { Fields = [InfluxField.OfText("value", "low")] };

        var result = await writer.WriteAsync(points, CancellationToken.None);

        Assert.Equal([3, 8], result.Failed.Select(f => f.Index));
        Assert.All(result.Failed, f => Assert.Equal(RejectCodes.InfluxPartialWrite, f.Code));
        Assert.All(result.Failed, f => Assert.Contains("field type conflict", f.Detail, StringComparison.Ordinal));
        var rows = await InfluxQuery.RowsAsync(influx, database, "SELECT count(value) FROM glucose");
        Assert.Equal(9, Assert.Single(rows)[1].GetInt64());
    }

    [Fact]
    public async Task Points_line_protocol_cannot_carry_are_reported_without_a_request()
    {
        var database = InfluxQuery.NewDatabase();
        using var http = new HttpClient();
        var writer = await StartAsync(http, database);

        var result = await writer.WriteAsync([Point("steps", s_t0, 1, patient: "Patient/\n")], CancellationToken.None);

        Assert.Equal(RejectCodes.InfluxRejected, Assert.Single(result.Failed).Code);
        Assert.Equal(0, writer.Requests);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task Overload_and_server_errors_are_retried_and_the_write_then_lands(HttpStatusCode failure)
    {
        var database = InfluxQuery.NewDatabase();
        using var injector = new FaultInjector(failure, failure);
        using var http = new HttpClient(injector);
        var writer = await StartAsync(http, database);

        var result = await writer.WriteAsync([Point("ecg", s_t0, 0.5)], CancellationToken.None);

        Assert.Empty(result.Failed);
        Assert.Equal(2, writer.Retries);
        Assert.Equal([failure, failure, HttpStatusCode.NoContent], injector.Seen.Skip(1).Select(s => s.Status));
        Assert.All(injector.Seen.Skip(1), s => Assert.Equal("gzip", s.Encoding));
        var rows = await InfluxQuery.RowsAsync(influx, database, "SELECT value FROM ecg");
        Assert.Equal(0.5, Assert.Single(rows)[1].GetDouble());
    }

    [Fact]
    public async Task A_server_that_stays_unavailable_fails_the_write_with_a_stable_code()
    {
        var database = InfluxQuery.NewDatabase();
        using var injector = new FaultInjector(HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway);
        using var http = new HttpClient(injector);
        var writer = await StartAsync(http, database, maxAttempts: 3);

        var error = await Assert.ThrowsAsync<InfluxWriteException>(() => writer.WriteAsync([Point("ecg", s_t0, 0.5)], CancellationToken.None));

        Assert.Equal(InfluxWriteException.Unavailable, error.Code);
        Assert.Equal(3, writer.Requests);
    }

    [Fact]
    public async Task Writing_to_a_missing_database_fails_with_a_stable_code()
    {
        using var http = new HttpClient();
        var writer = new HttpInfluxWriter(http, new InfluxOptions { Url = influx.Url, Database = InfluxQuery.NewDatabase(), CreateDatabase = false });

        var error = await Assert.ThrowsAsync<InfluxWriteException>(() => writer.WriteAsync([Point("ecg", s_t0, 0.5)], CancellationToken.None));

        Assert.Equal(InfluxWriteException.DatabaseNotFound, error.Code);
    }

    [Fact]
    public async Task Large_writes_are_split_into_requests_of_the_batch_size()
    {
        var database = InfluxQuery.NewDatabase();
        using var http = new HttpClient();
        var writer = await StartAsync(http, database, batchSize: 100);

        await writer.WriteAsync(Enumerable.Range(0, 250).Select(i => Point("heart-rate", s_t0 + i, 60)).ToList(), CancellationToken.None);

        Assert.Equal(3, writer.Requests);
        var rows = await InfluxQuery.RowsAsync(influx, database, "SELECT count(value) FROM \"heart-rate\"");
        Assert.Equal(250, Assert.Single(rows)[1].GetInt64());
    }

    [Fact]
    public void Invalid_settings_fail_with_every_problem_listed()
    {
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            InfluxOptionsValidator.EnsureValid(new InfluxOptions { Url = null, Database = "", BatchSize = 0, Username = "u" }));

        Assert.Equal(4, error.Failures.Count());
    }

    private async Task<HttpInfluxWriter> StartAsync(HttpClient http, string database, int batchSize = 5_000, int maxAttempts = 5)
    {
        var writer = new HttpInfluxWriter(http, new InfluxOptions
        {
            Url = influx.Url, Database = database, BatchSize = batchSize, MaxAttempts = maxAttempts,
            InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(10),
        });
        await writer.EnsureDatabaseAsync(CancellationToken.None);
        return writer;
    }

    private static InfluxPoint Point(string measurement, long ns, double value, string patient = "Patient/p1") =>
        new(measurement, [new("patient", patient), new("device", "dev-1"), new("quality", "ok")], [InfluxField.OfNumber("value", value)], ns);
}
