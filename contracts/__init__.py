"""Wire types and subject builders shared by every Lifeboat service. Depends on msgspec only."""
