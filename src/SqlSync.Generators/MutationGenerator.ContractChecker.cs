using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    /// <summary>
    /// Checks a mutations class against its shipped-mutations file: a shipped tag keeps its shape, is not
    /// reused by another shape, does not move, and is not removed; a mutation not yet shipped is noted.
    /// A class without a shipped file has no contract (nothing to check).
    /// </summary>
    internal static class ContractChecker
    {
        public static EquatableArray<ContractDiagnosticInfo> Check(MutationContractSpec spec, ImmutableArray<ShippedFile> files)
        {
            ShippedFile? file = FindFile(spec, files);
            if (file is null)
            {
                return EquatableArray<ContractDiagnosticInfo>.Empty;
            }

            string fileName = System.IO.Path.GetFileName(file.Path);
            var diagnostics = new List<ContractDiagnosticInfo>(file.Errors.Select(e => new ContractDiagnosticInfo(e, EquatableArray<string>.Empty)));
            var byTag = new Dictionary<uint, ContractMutationSpec>();
            foreach (ContractMutationSpec mutation in spec.Mutations)
            {
                byTag[mutation.Tag] = mutation;
            }

            var shippedTags = new HashSet<uint>(file.Mutations.Select(s => s.Tag));
            var moved = new HashSet<ContractMutationSpec>();
            foreach (ShippedMutation shipped in file.Mutations)
            {
                string tag = Hex(shipped.Tag);
                if (byTag.TryGetValue(shipped.Tag, out ContractMutationSpec? current))
                {
                    if (current.Shape == shipped.Shape)
                    {
                        continue;
                    }

                    string newTag = Hex(NewTag(current, byTag, shippedTags));
                    DiagnosticInfo info = current.Name == shipped.Name
                        ? DiagnosticInfo.Create(DiagnosticDescriptors.ShippedShapeChanged, current.Location,
                            current.QualifiedName, tag, shipped.Shape, current.Shape)
                        : DiagnosticInfo.Create(DiagnosticDescriptors.ShippedTagReused, current.Location,
                            current.QualifiedName, tag, shipped.Name, shipped.Shape);
                    diagnostics.Add(ContractDiagnosticInfo.Create(info,
                        ContractProperties.ShippedFile, file.Path,
                        ContractProperties.ShippedTag, tag,
                        ContractProperties.ShippedName, shipped.Name,
                        ContractProperties.ShippedParameters, shipped.Parameters,
                        ContractProperties.NewTag, newTag));
                    continue;
                }

                ContractMutationSpec? renamed = spec.Mutations.FirstOrDefault(m => m.Name == shipped.Name && !shippedTags.Contains(m.Tag));
                if (renamed is not null)
                {
                    moved.Add(renamed);
                    string reason = renamed.IsExplicitTag
                        ? "set in its [Mutation] attribute"
                        : $"derived from its full name '{renamed.QualifiedName}', which changed";
                    diagnostics.Add(ContractDiagnosticInfo.Create(
                        DiagnosticInfo.Create(DiagnosticDescriptors.ShippedTagChanged, renamed.Location,
                            renamed.QualifiedName, tag, Hex(renamed.Tag), reason),
                        ContractProperties.ShippedFile, file.Path,
                        ContractProperties.ShippedTag, tag));
                    continue;
                }

                diagnostics.Add(new ContractDiagnosticInfo(
                    DiagnosticInfo.Create(DiagnosticDescriptors.ShippedMutationRemoved, shipped.Location,
                        shipped.Name, tag, shipped.Shape, fileName, spec.DisplayName),
                    EquatableArray<string>.Empty));
            }

            foreach (ContractMutationSpec mutation in spec.Mutations)
            {
                if (!shippedTags.Contains(mutation.Tag) && !moved.Contains(mutation))
                {
                    diagnostics.Add(ContractDiagnosticInfo.Create(
                        DiagnosticInfo.Create(DiagnosticDescriptors.MutationNotShipped, mutation.Location,
                            mutation.QualifiedName, Hex(mutation.Tag), mutation.Shape, fileName),
                        ContractProperties.ShippedFile, file.Path,
                        ContractProperties.Line, ShippedFileReader.Line(mutation)));
                }
            }

            return new EquatableArray<ContractDiagnosticInfo>(diagnostics);
        }

        /// <summary>The class's shipped file: by name; when several share it, the one beside the class.</summary>
        private static ShippedFile? FindFile(MutationContractSpec spec, ImmutableArray<ShippedFile> files)
        {
            ShippedFile[] named = files.Where(f => string.Equals(f.ClassName, spec.ClassName, StringComparison.Ordinal))
                .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
            return named.Length <= 1
                ? named.FirstOrDefault()
                : named.FirstOrDefault(f => spec.SourceDirectories.Contains(f.Directory)) ?? named[0];
        }

        /// <summary>A tag for a changed shape: derived from the name and the new shape, so it is stable and differs from the shipped one.</summary>
        private static uint NewTag(ContractMutationSpec mutation, Dictionary<uint, ContractMutationSpec> byTag, HashSet<uint> shipped)
        {
            string seed = mutation.QualifiedName + mutation.Shape;
            uint tag = StableTag.Derive(seed);
            while (tag == 0 || byTag.ContainsKey(tag) || shipped.Contains(tag))
            {
                seed += "'";
                tag = StableTag.Derive(seed);
            }

            return tag;
        }

        private static string Hex(uint tag) => tag.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
    }
}
