using PatientStream.EdgeAgent.Audit;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Audit;

public sealed class JsonLinesAuditTests
{
    [Fact]
    public void Records_are_appended_one_a_line_and_survive_reopening()
    {
        using var folder = new TempFolder("edge-audit");
        var path = folder.Combine("audit", "edge.jsonl");
        var first = new EdgeAuditRecord { At = Readings.At, Outcome = "rejected", Reason = "device-revoked", Topic = "ps/v1/devices/d/readings", Device = "d", Seq = 3 };
        var second = first with { Outcome = "permit", Reason = null, Patient = "Patient/1", Consents = ["Consent/1"] };

        using (var audit = new JsonLinesAudit(path))
        {
            audit.Record(first);
        }
        using (var audit = new JsonLinesAudit(path))
        {
            audit.Record(second);
        }

        var records = JsonLinesAudit.Read(path);
        Assert.Equal(2, records.Count);
        Assert.Equal(("rejected", "device-revoked", 3L), (records[0].Outcome, records[0].Reason, records[0].Seq!.Value));
        Assert.Equal(["Consent/1"], records[1].Consents!);
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void A_refusal_reaches_the_file_at_once_and_releases_by_the_next_flush()
    {
        using var folder = new TempFolder("edge-audit");
        var path = folder.Combine("edge.jsonl");
        using var audit = new JsonLinesAudit(path);
        var permit = new EdgeAuditRecord { At = Readings.At, Outcome = "permit", Topic = "ps/v1/devices/d/readings", Device = "d", Seq = 1 };

        audit.Record(permit);
        audit.Record(permit with { Seq = 2, Outcome = "rejected", Reason = "device-revoked" });
        Assert.Equal([1L, 2L], JsonLinesAudit.Read(path).Select(r => r.Seq!.Value));

        audit.Record(permit with { Seq = 3 });
        audit.Flush();
        Assert.Equal([1L, 2L, 3L], JsonLinesAudit.Read(path).Select(r => r.Seq!.Value));
    }
}
