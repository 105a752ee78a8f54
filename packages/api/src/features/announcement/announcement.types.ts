/** A workspace-wide announcement by an owner or admin, shown to every member until they dismiss it. */
export interface AnnouncementDto {
  id: string;
  partitionId: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: string;
}
