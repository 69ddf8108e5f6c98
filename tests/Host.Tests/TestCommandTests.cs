using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

public sealed class TestCommandTests
{
    private const string Trx = """
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <TestDefinitions>
            <UnitTest name="A" storage="/x/artifacts/bin/patientstream.mqtt.tests.dll" id="1" />
          </TestDefinitions>
          <ResultSummary outcome="Failed">
            <Counters total="12" executed="11" passed="8" failed="2" error="1" timeout="0" aborted="0" notExecuted="1" />
          </ResultSummary>
        </TestRun>
        """;

    [Fact]
    public void Totals_add_up_every_trx_file_and_count_errors_as_failures()
    {
        using var folder = new TempFolder("trx");
        File.WriteAllText(folder.Combine("a.trx"), Trx);
        Directory.CreateDirectory(folder.Combine("nested"));
        File.WriteAllText(folder.Combine("nested", "b.trx"), Trx.Replace("passed=\"8\"", "passed=\"5\"", StringComparison.Ordinal));

        var totals = TrxTotals.Read(folder.Path);

        Assert.Equal(2, totals.Projects.Count);
        Assert.Equal(13, totals.Passed);
        Assert.Equal(6, totals.Failed);
        Assert.Equal(2, totals.Skipped);
        Assert.All(totals.Projects, p => Assert.Equal("patientstream.mqtt.tests", p.Name));
    }

    [Fact]
    public void An_empty_results_folder_totals_nothing()
    {
        using var folder = new TempFolder("trx");
        var totals = TrxTotals.Read(folder.Path);
        Assert.Equal(0, totals.Passed + totals.Failed + totals.Skipped);
    }
}
