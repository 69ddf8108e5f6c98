using PatientStream.FhirGen;

// Usage: FhirGen [sourceDir] [outputFile]
// Defaults suit a run from the repository root: ../shared/fhir-r4 -> src/Fhir/Definitions/r4-definitions.ndjson
var source = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "fhir-r4");
var output = args.Length > 1 ? args[1] : Path.Combine("src", "Fhir", "Definitions", "r4-definitions.ndjson");
var lines = DefinitionGenerator.Generate(source);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllLinesAsync(output, lines).ConfigureAwait(false);
Console.WriteLine($"wrote {lines.Count} lines to {output}");
