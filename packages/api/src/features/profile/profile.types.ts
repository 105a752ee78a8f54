/** How a person shows up everywhere a name is: the same in every workspace they are in. */
export interface ProfileDto {
  userId: string;
  displayName: string;
  /** A short status line; '' = none. */
  status: string;
  /** Their avatar image (`GET /avatar/<id>`); null = the initials avatar. */
  avatarId: string | null;
}
