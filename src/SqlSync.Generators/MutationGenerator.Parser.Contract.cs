using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    internal static partial class Parser
    {
        /// <summary>What the shipped-mutations check needs of a valid class: each mutation's tag, shape and location.</summary>
        private static MutationContractSpec ContractOf(
            INamedTypeSymbol type, MutationSetSpec spec, Dictionary<MutationSpec, LocationInfo?> locations,
            LocationInfo? classLocation, CancellationToken cancellationToken)
        {
            var directories = new SortedSet<string>(System.StringComparer.Ordinal);
            foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string? directory = System.IO.Path.GetDirectoryName(reference.SyntaxTree.FilePath);
                if (directory is not null)
                {
                    directories.Add(directory);
                }
            }

            ContractMutationSpec[] mutations = spec.Mutations.Select(mutation => new ContractMutationSpec(
                mutation.MethodName,
                spec.DisplayName + "." + mutation.MethodName,
                mutation.Tag,
                mutation.IsExplicitTag,
                ContractShape.Of(mutation, spec.Shapes),
                string.Join(", ", mutation.Parameters.Select(p => p.Type.TypeName + " " + p.ParameterName)),
                locations.TryGetValue(mutation, out LocationInfo? location) ? location : null)).ToArray();
            return new MutationContractSpec(type.Name, spec.DisplayName, new EquatableArray<string>(directories), classLocation,
                new EquatableArray<ContractMutationSpec>(mutations));
        }
    }
}
