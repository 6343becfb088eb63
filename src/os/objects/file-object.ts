/**
 * A file object: an open instance of a file, made by {@link Process.createFile}. The file itself is
 * its bytes (a `Uint8Array`): every section over the same array shares its pages through the kernel's
 * file cache ([files: sharing and flushing](../../../docs/kernel.md#files-sharing-and-flushing)). What a
 * handle to it may do is the handle's access (FILE_READ_DATA, FILE_WRITE_DATA, FILE_EXECUTE), which
 * decides the sections it may back (B66).
 * @module
 */

/** An open file ({@link Process.createFile}); its handles carry the access. */
export class FileObject {
  /** The object type's name, as NtQueryObject(ObjectTypeInformation) gives it. */
  readonly objectType = 'File';
  /** Handles to this file object, in every process. */
  handleCount = 0;

  /** @internal Made by {@link Process.createFile}. */
  constructor(
    /** The file's contents: the same array as every other open of the file. */
    readonly bytes: Uint8Array,
  ) {}
}
